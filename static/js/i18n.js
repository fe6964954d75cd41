// @ts-check
/**
 * The page scripts' own words in the page's language. The server puts the page catalog
 * (locales/<locale>/LC_MESSAGES/page.po) inside the page as JSON: English text to its
 * translation. A message is written in English with {fields}; `t("Question {n} of {of}",
 * {n: 1, of: 3})`. What the server sends (nudges, feedback, errors) is already in the session's
 * language.
 */

/** @type {Record<string, string>} */
const catalog = JSON.parse(document.getElementById("page-catalog")?.textContent || "{}");

/** The page's locale (`en`, `zh`), as the server chose it. */
export const locale = document.documentElement.lang || "en";

/**
 * @param {string} message English text, the catalog's key
 * @param {Record<string, string | number>} [fields]
 * @returns {string}
 */
export function t(message, fields = {}) {
  const text = catalog[message] || message;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in fields ? String(fields[name]) : whole));
}
