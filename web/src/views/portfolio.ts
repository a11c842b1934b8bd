// Portfolio: being built (issue 5). Until then the page says so plainly.
import type { Me } from "../api";
import { h } from "../dom";

export function renderPortfolio(main: HTMLElement, _me: Me, _tenant: string, _rest: string[]): void {
  main.replaceChildren(h("h1", {}, "Portfolio"),
    h("p", { class: "empty" }, "This section is not available in this version yet."));
}
