/**
 * Terminal output as safe HTML: every character is escaped, and the colour and
 * style codes (SGR: `ESC[…m`) of a small whitelist become spans with classes
 * (dashboard.css colours them); every other escape sequence is dropped. No style
 * attribute and no markup from the output ever reaches the page. State (the open
 * colour) carries from one piece to the next, as a terminal's does, so a log
 * streamed in pieces renders like the whole.
 *
 * @example
 * new AnsiHtml().render("\x1b[31mred\x1b[0m <b>") // '<span class="ansi-fg-1">red</span> &lt;b&gt;'
 */

// CSI sequences (ESC [ params final), OSC (ESC ] … BEL or ESC \), and other two-byte escapes.
const ESCAPES = /\x1b\[([0-9;:?]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]?/g;

interface Style {
  fg: number | null;
  bg: number | null;
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
}

const PLAIN: Style = { fg: null, bg: null, bold: false, dim: false, italic: false, underline: false };

export class AnsiHtml {
  #style: Style = { ...PLAIN };

  /** Renders the next piece of output. */
  render(text: string): string {
    let out = "";
    let last = 0;
    for (const m of text.matchAll(ESCAPES)) {
      out += this.#span(text.slice(last, m.index));
      last = m.index + m[0].length;
      if (m[2] === "m") this.#apply(m[1] ?? "");
    }
    return out + this.#span(text.slice(last));
  }

  #span(text: string): string {
    if (text === "") return "";
    const s = this.#style;
    const classes: string[] = [];
    if (s.fg !== null) classes.push(`ansi-fg-${s.fg}`);
    if (s.bg !== null) classes.push(`ansi-bg-${s.bg}`);
    if (s.bold) classes.push("ansi-bold");
    if (s.dim) classes.push("ansi-dim");
    if (s.italic) classes.push("ansi-italic");
    if (s.underline) classes.push("ansi-underline");
    const escaped = escapeHtml(text);
    return classes.length === 0 ? escaped : `<span class="${classes.join(" ")}">${escaped}</span>`;
  }

  /** Applies SGR parameters; codes outside the whitelist are ignored. */
  #apply(params: string): void {
    const codes = params === "" ? [0] : params.split(/[;:]/).map((p) => (p === "" ? 0 : Number(p)));
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i]!;
      const s = this.#style;
      if (c === 0) this.#style = { ...PLAIN };
      else if (c === 1) s.bold = true;
      else if (c === 2) s.dim = true;
      else if (c === 3) s.italic = true;
      else if (c === 4) s.underline = true;
      else if (c === 22) s.bold = s.dim = false;
      else if (c === 23) s.italic = false;
      else if (c === 24) s.underline = false;
      else if (c >= 30 && c <= 37) s.fg = c - 30;
      else if (c === 39) s.fg = null;
      else if (c >= 40 && c <= 47) s.bg = c - 40;
      else if (c === 49) s.bg = null;
      else if (c >= 90 && c <= 97) s.fg = c - 90 + 8;
      else if (c >= 100 && c <= 107) s.bg = c - 100 + 8;
      else if ((c === 38 || c === 48) && codes[i + 1] === 5) {
        // 256-colour: the 16 base colours map to classes; the rest keep the default.
        const n = codes[i + 2] ?? -1;
        if (n >= 0 && n < 16) {
          if (c === 38) s.fg = n;
          else s.bg = n;
        }
        i += 2;
      } else if ((c === 38 || c === 48) && codes[i + 1] === 2) i += 4; // true colour: ignored
    }
  }
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
