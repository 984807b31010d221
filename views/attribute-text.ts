/**
 * kitajs escapes only `"` in attribute values, which keeps markup from breaking
 * out of the attribute but lets the browser decode entities: a name typed as
 * `a &amp; b` would come back in a form field as `a & b`. User text placed in an
 * attribute (form values) goes through this first; kitajs then escapes the quotes.
 *
 * @example attributeText("a &amp; b") // "a &amp;amp; b"
 */
export function attributeText(s: string): string {
  // < and > too: harmless inside a quoted attribute, but then no user text reads as markup in the page source.
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
