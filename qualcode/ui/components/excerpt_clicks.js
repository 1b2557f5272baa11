// The Excerpts view: a click on an excerpt's text (or its row) opens that excerpt, as its
// pencil button does (Streamlit custom component v2, no iframe, nothing drawn). Streamlit's
// st.text cannot take a click, so one listener on the page reads which excerpt row
// (`st-key-ex-<id>`) was clicked and sends its id. Buttons, badges' own controls and
// inputs inside the row keep their clicks; a click that ends a text selection is a selection,
// not a click, so quotes can still be selected and copied.

const SKIP = "button, a, input, textarea, select, [role='button'], [role='combobox'], [role='slider']";

function excerptOf(target) {
  if (!target || !target.closest || target.closest(SKIP)) return null;
  const row = target.closest("[class*='st-key-ex-']");
  if (!row) return null;
  const m = /(?:^|\s)st-key-ex-(\d+)(?:\s|$)/.exec(row.className);
  if (!m) return null;
  const sel = window.getSelection();
  if (sel && !sel.isCollapsed && sel.toString().trim() && row.contains(sel.anchorNode)) return null;
  return Number(m[1]);
}

// N, P, a reload: the excerpt opened is brought into view when it is off screen (walk 15: the
// view opened at the top while the open excerpt sat below the window's edge). `scrollKey`: any
// keyed element instead (a survey grid's row opened from Search: `srow-<id>`, walk 40).
function bringIntoView(selector, tries = 30) {
  const row = document.querySelector(selector);
  if (!row) {  // its turn not drawn yet
    if (tries > 0) setTimeout(() => bringIntoView(selector, tries - 1), 100);
    return;
  }
  const r = row.getBoundingClientRect();
  if (r.top < 0 || r.bottom > window.innerHeight) row.scrollIntoView({ block: "center" });
}

export default function (component) {
  const host = component.parentElement;
  host.qcSend = component.setTriggerValue;
  const data = component.data || {};
  if ((data.scroll != null || data.scrollKey) && data.nonce !== host.qcScrolled) {
    host.qcScrolled = data.nonce;
    bringIntoView(data.scrollKey ? `.st-key-${data.scrollKey}` : `.st-key-ex-${data.scroll}`);
  }
  if (!host.qcOnClick) {
    host.qcOnClick = (e) => {
      if (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey) return;
      const ex = excerptOf(e.target);
      if (ex !== null) host.qcSend("focus", { ex, nonce: Date.now() });
    };
    document.addEventListener("click", host.qcOnClick);
  }
  return () => {
    if (host.qcOnClick) document.removeEventListener("click", host.qcOnClick);
    host.qcOnClick = null;
  };
}
