// How the page scripts write figures: one clock (m:ss), as the report pages write it.

/**
 * Seconds as m:ss (rounded down when ``floor``, as a playing recording's time is).
 * @param {number} seconds
 * @param {{ floor?: boolean }} [how]
 */
export function clock(seconds, { floor = false } = {}) {
  const whole = Math.max(0, floor ? Math.floor(seconds) : Math.round(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}
