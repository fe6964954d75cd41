// The report page's "Delete this session": asked twice, then DELETE with the session's own
// token (from the link that opened the page), and the page says what happened.
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
    said.textContent = "Deleting…";
    let response;
    try {
      response = await fetch(`/api/sessions/${data.session_id}`, {
        method: "DELETE", headers: token ? { Authorization: `Bearer ${token}` } : {},
      });
    } catch {
      said.textContent = "The server could not be reached: nothing was deleted. Try again.";
      sure.disabled = false;
      return;
    }
    if (response.status === 204 || response.status === 202) {
      const main = document.querySelector("main");
      const done = document.createElement("p");
      done.setAttribute("role", "status");
      done.textContent = response.status === 204
        ? "This session is deleted: its report, transcript and any recording are erased."
        : "This session is deleted: no one can open it any more, and its data is erased as soon as the server's storage is back.";
      const back = document.createElement("a");
      back.href = "/";
      back.textContent = "Practise again";
      main?.replaceChildren(done, back);
      return;
    }
    const body = await response.json().catch(() => null);
    said.textContent = `Nothing was deleted: ${body?.error?.message ?? `the server answered ${response.status}`}. Try again in a moment.`;
    sure.disabled = false;
  });
})();
