// The transcript as a conversation (Streamlit custom component v2; no iframe).
// Every piece of transcript text goes in with textContent, never innerHTML: the component
// is not sandboxed, and transcripts are other people's words.

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = text;
  return node;
}

function paint(run, hls, colors, names) {
  if (!hls.length) return;
  const cols = [...new Set(hls.map((h) => colors[h.code] || "#f5c542"))];
  run.classList.add("qc-hl");
  if (cols.length === 1) {
    run.style.backgroundColor = cols[0] + "55";
  } else {
    const w = 6;
    const stops = cols.map((c, i) => `${c}66 ${i * w}px ${(i + 1) * w}px`).join(", ");
    run.style.backgroundImage = `repeating-linear-gradient(135deg, ${stops})`;
  }
  run.title = [...new Set(hls.map((h) => names[h.code] || h.code))].join(" · ");
}

function render(root, data) {
  const colors = {}, names = {};
  Object.assign(names, data.names || {});
  Object.assign(colors, data.colors || {});
  for (const c of data.codes) { colors[c.id] = c.color; names[c.id] = c.name; }
  const body = root.querySelector(".qc-body");
  // A redraw (after coding a selection, a decision, a click) keeps the reader where they
  // were: emptying the box would put its scroll back at the top.
  const keep = body.scrollTop;
  body.replaceChildren();
  if (!data.turns.length) {
    body.append(el("p", "qc-empty", data.empty || "Nothing to show."));
    return;
  }
  const frag = document.createDocumentFragment();
  for (const turn of data.turns) {
    const box = el("div", "qc-turn" + (turn.codable ? "" : " qc-not-coded"));
    box.dataset.turn = turn.order;
    const head = el("div", "qc-head");
    head.contentEditable = "false";
    head.append(el("span", "qc-speaker", turn.speaker || "Unknown speaker"));
    head.append(el("span", "qc-role", turn.role));
    if (turn.time) head.append(el("span", "qc-time", turn.time));
    box.append(head);
    const para = el("p", "qc-text");
    for (const seg of turn.segments) {
      const spans = seg.ex == null ? [] : data.highlights.concat(data.marks);
      for (const piece of cutRun(seg.s, seg.t, spans)) {
        const run = el("span", "qc-run", piece.t);
        run.dataset.s = piece.s;
        if (seg.ex != null) {
          run.dataset.ex = seg.ex;
          const hls = covering(data.highlights, piece.s, piece.e);
          paint(run, hls, colors, names);
          if (hls.length) run.dataset.codings = hls.map((h) => h.coding).join(",");
          const marks = covering(data.marks, piece.s, piece.e);
          if (marks.length) {
            run.classList.add("qc-sg");
            // only long shots here: a fainter underline, so it does not read like a likely code
            if (marks.every((m) => m.weak)) run.classList.add("qc-sg-weak");
            const tip = "Suggested: " + marks.map((m) => `${names[m.code] || m.code} (${m.words})`).join(", ");
            run.title = run.title ? run.title + "\n" + tip : tip;
          }
          if (seg.ex === data.focus) run.classList.add("qc-focus");
        }
        para.append(run);
      }
    }
    box.append(para);
    frag.append(box);
  }
  body.append(frag);
  body.scrollTop = keep;
  const focused = body.querySelector(".qc-focus");
  if (focused && data.scroll) focused.scrollIntoView({ block: "center" });
  // Keyboard flow: after N/P (or any rerun while the transcript has the focus) the caret
  // waits at the start of the open excerpt, so Shift+arrows select from there.
  const active = root.getRootNode().activeElement;
  if (focused && !root.qcPick && (active === body || root.qcKeyboard)) {  // never from an open code box
    body.focus({ preventScroll: true });
    const sel = selectionOf(body);
    if (sel) caretAt(sel, focused);
  }
}

// Put the caret just before the first character of a run.
function caretAt(sel, run) {
  sel.collapse(run.firstChild || run, 0);
}

function selectionOf(node) {
  const rootNode = node.getRootNode();
  return rootNode.getSelection ? rootNode.getSelection() : window.getSelection();
}

// A DOM point (node, offset) inside the transcript -> document offset, or null.
function domOffset(root, node, offset) {
  if (node.nodeType === Node.TEXT_NODE) {
    const run = node.parentElement && node.parentElement.closest(".qc-run");
    if (!run || !root.contains(run)) return null;
    return pointOffset(Number(run.dataset.s), node.textContent.slice(0, offset));
  }
  if (!(node instanceof Element) || !root.contains(node)) return null;
  const child = node.childNodes[offset];
  const after = child && (child.classList && child.classList.contains("qc-run") ? child
    : child.querySelector && child.querySelector(".qc-run"));
  if (after) return Number(after.dataset.s);
  const before = node.childNodes[offset - 1];
  const runs = before && before.querySelectorAll ? before.querySelectorAll(".qc-run") : [];
  const last = before && before.classList && before.classList.contains("qc-run") ? before : runs[runs.length - 1];
  return last ? Number(last.dataset.s) + cpLen(last.textContent) : null;
}

function selectionRange(root) {
  const s = selectionOf(root);
  if (!s || !s.rangeCount || s.isCollapsed) return null;
  const r = clippedTo(root, s.getRangeAt(0));
  const a = domOffset(root, r.startContainer, r.startOffset);
  const b = domOffset(root, r.endContainer, r.endOffset);
  if (a === null || b === null) return null;
  const [start, end] = ordered(a, b);
  return start < end ? { start, end, text: s.toString(), rect: r.getBoundingClientRect() } : null;
}

// The part of a selection inside the transcript: a drag that began in the text and let go past
// it (the margin, the sidebar) still selects the words it covered (walk 37).
function clippedTo(root, range) {
  const body = root.querySelector(".qc-body");
  if (!body) return range;
  try {
    const all = document.createRange();
    all.selectNodeContents(body);
    const r = range.cloneRange();
    if (r.compareBoundaryPoints(Range.START_TO_START, all) < 0) r.setStart(all.startContainer, all.startOffset);
    if (r.compareBoundaryPoints(Range.END_TO_END, all) > 0) r.setEnd(all.endContainer, all.endOffset);
    return r;
  } catch (err) {  // another document or shadow tree: as it is
    return range;
  }
}

function openPicker(root, sel) {
  const picker = root.querySelector(".qc-picker");
  const input = picker.querySelector("input");
  const list = picker.querySelector(".qc-options");
  const hostRect = root.getBoundingClientRect();
  picker.style.top = `${sel.rect.bottom - hostRect.top + 6}px`;
  picker.style.left = `${Math.max(0, sel.rect.left - hostRect.left)}px`;
  picker.hidden = false;
  root.qcPick = { start: sel.start, end: sel.end, index: 0, closed: Boolean(sel.closed), waiting: Boolean(sel.waiting) };
  // Say what the code will go on, where the coder types: the page around may still be
  // redrawing after N (walk 8: a code landed on the next excerpt while the sidebar still
  // showed the one before).
  const words = (sel.text || "").replace(/\s+/g, " ").trim();
  picker.querySelector(".qc-what").textContent = sel.closed ? sel.closed
    : sel.waiting ? "Code the excerpt the page is moving to…"
    : `Code “${words.length > 70 ? words.slice(0, 69) + "…" : words}”`;
  input.value = "";
  fillPicker(root);
  // Near the bottom of the window the list would run off it (walk 12: on the last excerpt only
  // two of a group's codes could be seen): open it above the words instead.
  const h = picker.offsetHeight;
  if (sel.rect.bottom + h + 6 > window.innerHeight && sel.rect.top - h - 6 >= 0) {
    picker.style.top = `${sel.rect.top - hostRect.top - h - 6}px`;
  }
  input.focus();
  void list;
}

function fillPicker(root) {
  const picker = root.querySelector(".qc-picker");
  const list = picker.querySelector(".qc-options");
  const data = root.qcData;
  const query = picker.querySelector("input").value;
  const shown = root.qcPick.closed ? []
    : withNewCode(pickCodes(data.codes, data.recent, query).slice(0, 12), data.codes, query);
  root.qcPick.shown = shown;
  root.qcPick.index = Math.min(root.qcPick.index, Math.max(0, shown.length - 1));
  list.replaceChildren();
  shown.forEach((c, i) => {
    const opt = el("div", "qc-option" + (i === root.qcPick.index ? " qc-active" : ""));
    const dot = el("span", "qc-dot");
    dot.style.backgroundColor = c.color;
    opt.append(dot, el("span", "", c.name));
    if (c.isNew) opt.append(el("span", "qc-under", "add to the codebook and code this"));
    if (c.under) opt.append(el("span", "qc-under", c.under));
    opt.dataset.code = c.id;
    opt.addEventListener("mousedown", (ev) => { ev.preventDefault(); apply(root, c.id); });
    list.append(opt);
  });
  if (!shown.length && !root.qcPick.closed) list.append(el("div", "qc-none", "No code matches"));
}

function closePicker(root) {
  root.querySelector(".qc-picker").hidden = true;
  root.qcPick = null;
}

function apply(root, code) {
  const p = root.qcPick;
  if (!p) return;
  closePicker(root);
  root.querySelector(".qc-body").focus({ preventScroll: true });
  // Show the coding at once; the rerun that stores it redraws with the stored pieces.
  const data = root.qcData;
  data.highlights = data.highlights.concat([{ s: p.start, e: p.end, code, coding: "new" }]);
  data.scroll = false;  // this redraw keeps the reader where they are (the jump was the first draw's)
  render(root, data);
  sendCode(root, { start: p.start, end: p.end, code, nonce: Date.now() });
}

// A code sent is confirmed by the next draws (their "acks" name its nonce). Walk 18: about one
// typed code in ten never reached the project, without a word (the send fell between two
// redraws). Until confirmed it is sent again, with the same nonce (the page applies a nonce
// once); if it is still not confirmed, the transcript says so instead of keeping silent.
const ACK_WAITS_MS = [2500, 5000, 10000];

function sendCode(root, msg) {
  const item = { msg, tries: 0, doc: (root.qcData || {}).doc };
  const to = liveRoot(item) || root;
  const note = to.querySelector(".qc-unsaved");
  if (note) note.hidden = true;  // an earlier warning is over: the coder is coding again
  to.qcSend("code", msg);
  setTimeout(() => checkSent(item), ACK_WAITS_MS[0]);
}

// The transcript on the page now (a redraw may have replaced the one the code was typed in),
// if it shows the same document.
function liveRoot(item) {
  const root = window.qcTranscriptRoot;
  return root && root.isConnected && (root.qcData || {}).doc === item.doc ? root : null;
}

function checkSent(item) {
  const root = liveRoot(item);
  if (!root) return;  // another document is open: its draws know nothing of this code
  if (((root.qcData || {}).acks || []).includes(item.msg.nonce)) return;
  item.tries += 1;
  if (item.tries < ACK_WAITS_MS.length) {
    root.qcSend("code", item.msg);
    setTimeout(() => checkSent(item), ACK_WAITS_MS[item.tries]);
    return;
  }
  const names = (root.qcData || {}).names || {};
  const note = root.querySelector(".qc-unsaved");
  note.textContent = `${names[item.msg.code] || "The code"} may not have been saved: check the excerpt's codes ` +
    "in the side panel, and code it again if it is not there.";
  note.hidden = false;
}

const KEYS = { n: "next", j: "next", p: "prev", k: "prev", a: "accept", x: "reject", d: "nothing", u: "undo" };

// T (here, or the sidebar's "Type a code" button): the code picker on the whole open excerpt.
function openWhole(root, opts = {}) {
  const runs = root.querySelectorAll(".qc-body .qc-run.qc-focus");
  if (!runs.length) return false;
  const first = runs[0];
  const last = runs[runs.length - 1];
  const start = Number(first.dataset.s);
  const end = Number(last.dataset.s) + cpLen(last.textContent);
  const text = [...runs].map((r) => r.textContent).join("");
  const turn = first.closest(".qc-turn");
  // Not coded (an interviewer's line): the box still opens, so that the letters typed after T
  // go into it and not to the page's shortcuts (walk 8: "u" of a code's name undid a coding).
  const closed = turn && turn.classList.contains("qc-not-coded")
    ? `This line is not coded (${(turn.querySelector(".qc-role") || {}).textContent || "its speaker's role"}'s words). Esc to close.`
    : null;
  openPicker(root, { start, end, text, closed: opts.waiting ? null : closed, waiting: Boolean(opts.waiting),
                     rect: last.getBoundingClientRect() });
  return true;
}

// T anywhere on the page (not while typing in a box): the picker opens here at once, in the
// browser. Through the sidebar's shortcut it waited for a rerun, and the letters typed
// meanwhile went to the page's one-key shortcuts (U undo, D nothing here, N next; walk 8).
function onPageKey(e) {
  const root = window.qcTranscriptRoot;
  if (!root || !root.isConnected || root.qcPick) return;
  if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
  const key = (e.key || "").toLowerCase();
  const body = root.querySelector(".qc-body");
  const t = e.target;
  const typing = t && t !== body && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName || ""));
  if (typing) return;
  // Words selected whose code box did not open (walk 37: the mouse let go past the text): a
  // letter typed now starts the code's name in the box, never a one-key shortcut (the "D" of
  // "Dignity" had decided the open excerpt, "N" moved on, "T" opened the box on another one).
  const selected = e.key.length === 1 && /\p{L}/u.test(e.key) ? selectionRange(body) : null;
  if (selected) {
    openPicker(root, selected);
    const input = root.querySelector(".qc-picker input");
    input.value = e.key;
    root.qcPick.typed = input.value;
    fillPicker(root);
    e.preventDefault();
    e.stopImmediatePropagation();
    return;
  }
  if (e.shiftKey) return;  // (a capital letter with words selected was handled above)
  if (KEYS[key]) {  // N, P, D, U (and A with no suggestion left) open another excerpt: the next draw says which
    if (movesFocus(root, key)) {
      root.qcMoving = Date.now();
      root.qcMovingFrom = root.qcData ? root.qcData.focus : null;
    }
    return;
  }
  if (key !== "t") return;
  const sel = t === body ? selectionRange(body) : null;
  if (sel) {
    openPicker(root, sel);
  } else if (moving(root)) {
    // N then T at once (walk 9): the sidebar already showed the next excerpt while this
    // transcript, drawn last, still marked the one before, and the code went there. The box
    // opens now (the letters go into it) and takes its excerpt from the next draw.
    if (openWhole(root, { waiting: true })) waitAtMost(root, root.qcPick);
  } else if (!openWhole(root)) {
    return;  // no open excerpt: nothing to code
  }
  e.preventDefault();
  e.stopImmediatePropagation();
}

const MOVE_WAIT_MS = 4000;  // a move that opens nothing new (the last excerpt) stops waiting

function movesFocus(root, key) {
  if ("njpkdu".includes(key)) return true;
  // A on an excerpt with no suggestion left is "next" (the side panel's "All decided: next")
  return key === "a" && !root.querySelector(".qc-body .qc-run.qc-focus.qc-sg");
}

function moving(root) {
  return Boolean(root.qcMoving) && Date.now() - root.qcMoving < MOVE_WAIT_MS;
}

// A waiting box gives up waiting when the move's time is over (nothing new drawn): it takes
// the excerpt open then.
function waitAtMost(root, pick) {
  const left = Math.max(0, MOVE_WAIT_MS - (Date.now() - root.qcMoving));
  setTimeout(() => { if (root.qcPick === pick && pick.waiting) arrived(root); }, left + 50);
}

// The page has drawn the excerpt a move opened: a waiting box takes it, and codes it if the
// coder already pressed Enter.
function arrived(root) {
  root.qcMoving = 0;
  const p = root.qcPick;
  if (!p || !p.waiting) return;
  const code = p.pending;
  closePicker(root);
  if (!openWhole(root)) return;
  const input = root.querySelector(".qc-picker input");
  input.value = p.typed || "";
  root.qcPick.index = p.index || 0;
  fillPicker(root);
  if (code && !root.qcPick.closed) apply(root, code);  // (a line not coded: the box says so instead)
}

function setup(root) {
  const body = root.querySelector(".qc-body");
  const picker = root.querySelector(".qc-picker");
  const input = picker.querySelector("input");
  // Selectable with the keyboard too (shift+arrows): the text takes a caret but no edits.
  body.contentEditable = "true";
  body.spellcheck = false;
  body.setAttribute("aria-readonly", "true");
  body.setAttribute("role", "document");
  for (const ev of ["beforeinput", "paste", "drop", "cut"]) body.addEventListener(ev, (e) => e.preventDefault());
  const maybeOpen = () => {
    const sel = selectionRange(body);
    if (sel) openPicker(root, sel);
  };
  body.addEventListener("mouseup", () => setTimeout(maybeOpen, 0));
  // A drag that began in the text and let go outside it opens the box too (walk 37: it did not,
  // and the name typed next went to the shortcuts).
  body.addEventListener("mousedown", () => { root.qcDragging = true; });
  window.addEventListener("mouseup", (e) => {
    if (!root.qcDragging) return;
    root.qcDragging = false;
    if (root.isConnected && !body.contains(e.target) && !root.qcPick) setTimeout(maybeOpen, 0);
  }, { capture: true });
  // Tabbing into the transcript puts the caret at the open excerpt.
  body.addEventListener("focus", () => {
    const focused = body.querySelector(".qc-focus");
    const sel = selectionOf(body);
    if (focused && sel && (!sel.rangeCount || sel.isCollapsed)) caretAt(sel, focused);
  });
  body.addEventListener("click", (e) => {
    const run = e.target.closest && e.target.closest(".qc-run");
    if (!run || run.dataset.ex === undefined || selectionRange(body)) return;
    root.qcKeyboard = false;
    const sel = selectionOf(body);
    let at = Number(run.dataset.s);
    if (sel && sel.rangeCount && sel.anchorNode && run.contains(sel.anchorNode)) {
      at = pointOffset(at, sel.anchorNode.textContent.slice(0, sel.anchorOffset));
    }
    root.qcSend("click", { ex: Number(run.dataset.ex), at, codings: run.dataset.codings || "", nonce: Date.now() });
  });
  body.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "Enter") {
      e.preventDefault();
      maybeOpen();
      return;
    }
    const action = KEYS[e.key.toLowerCase()];
    if (action && !e.shiftKey) {
      root.qcKeyboard = true;
      e.preventDefault();
      e.stopPropagation();
      root.qcSend("key", { action, nonce: Date.now() });
    }
  });
  input.addEventListener("input", () => {
    root.qcPick.index = 0;
    root.qcPick.chose = false;
    root.qcPick.typed = input.value;
    fillPicker(root);
  });
  input.addEventListener("keydown", (e) => {
    const p = root.qcPick;
    if (!p) return;
    e.stopPropagation();
    if (e.key === "Escape") {
      e.preventDefault();
      closePicker(root);
      const s = selectionOf(body);  // the words are let go too: the next letter is a shortcut again
      if (s && s.rangeCount && !s.isCollapsed) s.collapseToEnd();
      body.focus();
    }
    else if (e.key === "Tab") { e.preventDefault(); }
    else if (e.key === "ArrowDown") { e.preventDefault(); p.index = Math.min(p.index + 1, p.shown.length - 1); p.chose = true; fillPicker(root); }
    else if (e.key === "ArrowUp") { e.preventDefault(); p.index = Math.max(p.index - 1, 0); p.chose = true; fillPicker(root); }
    else if (e.key === "Enter") {
      e.preventDefault();
      const chosen = p.shown && p.shown[p.index];
      if (!chosen) return;
      if (!p.chose && groupOnly(chosen, input.value)) {  // a group's name: say so, apply nothing
        // ... and the next Enter codes the highlighted one (walk 11: "↓ then Enter" skipped it)
        p.chose = true;
        root.querySelector(".qc-what").textContent =
          `“${chosen.under}” is a group: Enter codes ${chosen.name} (highlighted); ↑ ↓ pick another of its codes.`;
        return;
      }
      if (p.waiting) {  // coded once the page shows where it moved (see arrived)
        p.pending = chosen.id;
        if (moving(root)) root.querySelector(".qc-what").textContent = `${chosen.name}: coding it as soon as the page has moved…`;
        else arrived(root);  // nothing new was drawn in time: the excerpt open now
      } else {
        apply(root, chosen.id);
      }
    }
  });
  input.addEventListener("blur", () => setTimeout(() => { if (root.qcPick) closePicker(root); }, 150));
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  let root = parentElement.querySelector(".qc-root");
  if (!root) {
    root = el("div", "qc-root");
    root.append(el("div", "qc-body"));
    const picker = el("div", "qc-picker");
    picker.hidden = true;
    const input = el("input");
    input.placeholder = "Code this passage: type to search";
    input.setAttribute("aria-label", "Code to apply");
    picker.append(el("div", "qc-what"), input, el("div", "qc-options"));
    const unsaved = el("div", "qc-unsaved");
    unsaved.hidden = true;
    unsaved.setAttribute("role", "alert");
    root.prepend(unsaved);  // above the transcript, where the coder reads
    root.append(picker);
    parentElement.append(root);
    setup(root);
  }
  root.qcSend = setTriggerValue;
  window.qcTranscriptRoot = root;
  if (!window.qcPageKeys) {  // once per page: the listener reads the transcript mounted now
    window.qcPageKeys = true;
    window.addEventListener("keydown", onPageKey, { capture: true });
  }
  root.qcData = data;
  if (root.qcVersion !== data.version) {
    root.qcVersion = data.version;
    const t0 = performance.now();
    render(root, data);
    root.dataset.renderMs = (performance.now() - t0).toFixed(1);  // read by bench/bench_transcript.py
    // arrived where the move went (the draw names another open excerpt), or the move's time is over
    if (root.qcMoving && (data.focus !== root.qcMovingFrom || !moving(root))) arrived(root);
  }
  if (data.pick && data.pick !== root.qcPicked) {  // "Type a code" (T) pressed outside the transcript
    root.qcPicked = data.pick;
    openWhole(root);
  }
}
