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
  setTimeout(() => { if (document.activeElement === box) box.blur(); }, 0);
}

export default function () {
  if (window.qcEscape) return;  // once per page
  window.qcEscape = onEscape;
  window.addEventListener("keydown", onEscape, { capture: true });
}
