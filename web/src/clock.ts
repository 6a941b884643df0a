import { signal } from "@preact/signals";

/** The current time, ticking once a second for the clock and countdowns. */
export const now = signal(new Date());
setInterval(() => {
  now.value = new Date();
}, 1000);
