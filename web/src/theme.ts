// Dark by default (operations rooms are dim); light on request; remembered per browser.
import { effect, signal } from "@preact/signals";

export type Theme = "dark" | "light";
export const theme = signal<Theme>(localStorage.getItem("concord.theme") === "light" ? "light" : "dark");

effect(() => {
  localStorage.setItem("concord.theme", theme.value);
  document.documentElement.dataset["theme"] = theme.value;
});

export function toggleTheme(): void {
  theme.value = theme.value === "dark" ? "light" : "dark";
}
