// The page's elements by id, checked once at load: a missing or mistyped one fails loudly.

/**
 * The page's element ``id``, checked to be a ``Type`` (an HTML element by default).
 * @template {HTMLElement} T
 * @param {string} id
 * @param {{ new (): T, prototype: T, name: string }} [Type]
 * @returns {T}
 */
export function $(id, Type) {
  const found = document.getElementById(id);
  const expected = Type ?? HTMLElement;
  if (!(found instanceof expected)) throw new Error(`#${id} should be a ${expected.name}`);
  return /** @type {T} */ (found);
}
