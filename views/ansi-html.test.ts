import { expect, test } from "bun:test";
import { AnsiHtml } from "./ansi-html.ts";

test("SGR colours become classed spans; markup in the output stays text", () => {
  expect(new AnsiHtml().render("\x1b[31mred\x1b[0m <script>alert(1)</script>")).toBe(
    '<span class="ansi-fg-1">red</span> &#60;script&#62;alert(1)&#60;/script&#62;',
  );
  expect(new AnsiHtml().render("\x1b[1;92;44mok\x1b[39m!")).toBe('<span class="ansi-fg-10 ansi-bg-4 ansi-bold">ok</span><span class="ansi-bg-4 ansi-bold">!</span>');
});

test("the open colour carries over to the next piece; other escapes are dropped", () => {
  const a = new AnsiHtml();
  expect(a.render("\x1b[33mwarn")).toBe('<span class="ansi-fg-3">warn</span>');
  expect(a.render("ing\x1b[m done\x1b[2K\x1b]0;title\x07")).toBe('<span class="ansi-fg-3">ing</span> done');
  expect(new AnsiHtml().render('"quoted" & \'single\'')).toBe("&#34;quoted&#34; &#38; &#39;single&#39;");
});
