/**
 * The few DOM members this package touches. The project compiles without the DOM lib, so the DOM types
 * that turndown, readability and linkedom declare are unresolved; these give the calls real types.
 */
export interface DomNode {
  nodeName: string;
  parentNode: DomNode | null;
  childNodes: ArrayLike<DomNode>;
  textContent: string | null;
}

export interface DomElement extends DomNode {
  innerHTML: string;
  getAttribute(name: string): string | null;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
  remove(): void;
}
