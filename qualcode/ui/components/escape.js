// Esc hands the keyboard back to the page (Streamlit custom component v2, no iframe, nothing
// drawn). After a code or a document is picked from a list, or a code added, the box keeps the
// keyboard and the one-key shortcuts typed next (N, A, X, D, U) go into it as letters (walk 15).
// Esc first lets the box close its own list, then takes the keyboard out of it. The
// transcript's code box (.qc-picker) handles Esc itself.

function onEscape(e) {
  if (e.key !== "Escape") return;
  const box = document.activeElement;
  if (!box || box === document.body || !/^(INPUT|TEXTAREA|SELECT)$/.test(box.tagName)) return;
  if (box.closest(".qc-picker")) return;
  blurLater(box, 0);
}

// Take the keyboard out of ``box`` after ``ms``, unless it has moved on meanwhile.
function blurLater(box, ms) {
  setTimeout(() => { if (document.activeElement === box) box.blur(); }, ms);
}

// The Code page's Document picker gives the keyboard back by itself once a document is chosen
// (walk 34: after a pick, A / X / T / D went into it as letters, "No results", and nothing said
// that Esc was needed). A pick is a click on one of the list's options, or Enter in the box.
const PICKERS = ".st-key-code_doc";

function pickerBox() {
  const box = document.activeElement;
  return box && box.tagName === "INPUT" && box.closest(PICKERS) ? box : null;
}

function onPick(e) {
  const box = pickerBox();
  if (!box) return;
  if (e.type === "keydown" ? e.key === "Enter" : e.target.closest && e.target.closest('[role="option"]')) {
    blurLater(box, 60);  // after Streamlit has taken the choice (the list closes first)
  }
}

export default function () {
  if (window.qcEscape) return;  // once per page
  window.qcEscape = onEscape;
  window.addEventListener("keydown", onEscape, { capture: true });
  window.addEventListener("keydown", onPick, { capture: true });
  window.addEventListener("click", onPick, { capture: true });
}
