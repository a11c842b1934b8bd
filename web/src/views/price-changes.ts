// Price changes: being built (issue 5). Until then the page says so plainly.
import type { Me } from "../api";
import { h } from "../dom";

export function renderPriceChanges(main: HTMLElement, _me: Me, _tenant: string, _rest: string[]): void {
  main.replaceChildren(h("h1", {}, "Price changes"),
    h("p", { class: "empty" }, "This section is not available in this version yet."));
}
