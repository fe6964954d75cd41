// The report page's "Delete this session": asked twice, then DELETE with the session's own
// token (from the link that opened the page), and the page says what happened.
import { t } from "./i18n.js";

(() => {
  const ask = /** @type {HTMLButtonElement} */ (document.getElementById("erase"));
  const sure = /** @type {HTMLButtonElement} */ (document.getElementById("erase-sure"));
  const keep = /** @type {HTMLButtonElement} */ (document.getElementById("erase-keep"));
  const said = /** @type {HTMLElement} */ (document.getElementById("erase-status"));
  const data = JSON.parse(document.getElementById("report-data")?.textContent ?? "{}");
  const token = new URLSearchParams(location.search).get("token");
  /** @param {boolean} asking */
  const asking = (asking) => {
    ask.hidden = asking;
    sure.hidden = !asking;
    keep.hidden = !asking;
    (asking ? keep : ask).focus();
  };
  ask.addEventListener("click", () => asking(true));
  keep.addEventListener("click", () => asking(false));
  sure.addEventListener("click", async () => {
    sure.disabled = true;
    said.textContent = t("Deleting…");
    let response;
    try {
      response = await fetch(`/api/sessions/${data.session_id}`, {
        method: "DELETE", headers: token ? { Authorization: `Bearer ${token}` } : {},
      });
    } catch {
      said.textContent = t("The server could not be reached: nothing was deleted. Try again.");
      sure.disabled = false;
      return;
    }
    if (response.status === 204 || response.status === 202) {
      const main = document.querySelector("main");
      const done = document.createElement("p");
      done.setAttribute("role", "status");
      done.textContent = response.status === 204
        ? t("This session is deleted: its report, transcript and any recording are erased.")
        : t("This session is deleted: no one can open it any more, and its data is erased as soon as the server's storage is back.");
      const back = document.createElement("a");
      back.href = "/";
      back.textContent = t("Practise again");
      main?.replaceChildren(done, back);
      return;
    }
    const body = await response.json().catch(() => null);
    // A store that stays locked past the server's retries answers 503: nothing changed, and a
    // retry a moment later erases.
    said.textContent = response.status === 503
      ? t("Nothing was deleted: the server is busy. Try again in a moment.")
      : t("Nothing was deleted: {reason}. Try again in a moment.", {
        reason: body?.error?.message ?? t("the server answered {status}", { status: response.status }),
      });
    sure.disabled = false;
  });
})();
