/**
 * What a chart's SVG shows, for tests: the text of its `<text>` elements and
 * the tooltips (`<title>`) of its mark items, with entities decoded.
 *
 * @module
 */

function decode(text: string): string {
  return text.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&quot;", '"').replaceAll("&#39;", "'")
    .replaceAll("&amp;", "&");
}

/** Every `<text>` of the SVG in document order; the lines (`<tspan>`) of a multi-line text joined by a space. */
export function texts(svg: string): string[] {
  return [...svg.matchAll(/<text\b[^>]*>([\s\S]*?)<\/text>/g)].map((m) =>
    decode(m[1].replace(/<\/tspan><tspan\b[^>]*>/g, " ").replace(/<[^>]+>/g, ""))
  );
}

/** The tooltip of every mark item (the `<title>` inside a drawn shape), in document order. */
export function tooltips(svg: string): string[] {
  return [...svg.matchAll(/<(?:path|line|rect|circle)\b[^>]*><title>([^<]*)<\/title>/g)].map((m) => decode(m[1]));
}

/** The root element's opening tag. */
export function rootTag(svg: string): string {
  return svg.match(/<svg\b[^>]*>/)?.[0] ?? "";
}
