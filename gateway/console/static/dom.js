// Small DOM helpers shared by the console's views.

export const $ = (selector) => document.querySelector(selector);

/** An element with attributes (null/undefined skipped) and children. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v !== null && v !== undefined) node.setAttribute(k, v);
  }
  for (const c of children) node.append(c);
  return node;
}

/** Put a message in a role=status region (``error`` styles it as one). */
export function say(region, message, error = false) {
  region.textContent = message;
  region.classList.toggle("error", error);
}

export function formatBytes(n) {
  if (n === null || n === undefined) return "—";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(2)} MB`;
}
