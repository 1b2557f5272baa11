// Offset mapping for the transcript view: pure functions, no DOM.
// Offsets are Unicode code points into the document's stored text (JS strings count
// UTF-16 units, so every length goes through cpLen). Loaded before transcript.js in the
// component and by tests/js/test_offsets.js under node.

function cpLen(str) {
  let n = 0;
  for (const _ of str) n += 1;
  return n;
}

// Cut one run of text (code points start..) into pieces at every boundary of the spans
// (highlights and suggestion marks, each {s, e}); returns [{s, e, t}] in order.
function cutRun(start, text, spans) {
  const cps = Array.from(text);
  const end = start + cps.length;
  const cuts = new Set([start, end]);
  for (const sp of spans) {
    if (sp.s > start && sp.s < end) cuts.add(sp.s);
    if (sp.e > start && sp.e < end) cuts.add(sp.e);
  }
  const points = Array.from(cuts).sort((a, b) => a - b);
  const out = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i], b = points[i + 1];
    out.push({ s: a, e: b, t: cps.slice(a - start, b - start).join("") });
  }
  return out;
}

// Which spans cover the piece [s, e) (spans are {s, e, ...}).
function covering(spans, s, e) {
  return spans.filter((sp) => sp.s < e && sp.e > s);
}

// The document offset of a point inside a run that starts at runStart, given the text of
// the run's text node before the point.
function pointOffset(runStart, textBefore) {
  return runStart + cpLen(textBefore);
}

// A selection's two ends as [start, end), whatever the direction it was made in.
function ordered(a, b) {
  return a <= b ? [a, b] : [b, a];
}

// Codes for the picker: those matching the query (name or id, any case), recent ones first;
// those found only through their parent's name after every code named so (walk 43: "Working
// cond" put the recently used "Transport and mobility", under "Working conditions", above the
// codable "Working conditions" itself, and Enter was about to code the child).
function pickCodes(codes, recent, query) {
  const q = (query || "").trim().toLowerCase();
  const rank = new Map((recent || []).map((id, i) => [id, i]));
  const named = (c) => !q || c.name.toLowerCase().includes(q) || c.id.toLowerCase().includes(q);
  return codes
    // a code's group counts as its words too: "Context and outcomes" (a group, not applied
    // itself) lists the codes under it, where it once said "No code matches" (walk 8)
    .filter((c) => named(c) || (c.under || "").toLowerCase().includes(q))
    .sort((a, b) => {
      const na = named(a) ? 0 : 1;
      const nb = named(b) ? 0 : 1;
      if (na !== nb) return na - nb;
      const ra = rank.has(a.id) ? rank.get(a.id) : 1e9;
      const rb = rank.has(b.id) ? rank.get(b.id) : 1e9;
      if (ra !== rb) return ra - rb;
      const pa = a.name.toLowerCase().startsWith(q) ? 0 : a.name.toLowerCase().includes(q) ? 1 : 2;
      const pb = b.name.toLowerCase().startsWith(q) ? 0 : b.name.toLowerCase().includes(q) ? 1 : 2;
      return pa - pb || a.name.localeCompare(b.name);
    });
}

// The code box's last option when no code is called what was typed: a new code of that name
// (walk 37: coding inductively, a new code meant leaving for the Codebook page).
const NEW_CODE = "new:";

function withNewCode(shown, codes, query) {
  const q = (query || "").trim().replace(/\s+/g, " ");
  if (!q || codes.some((c) => c.name.toLowerCase() === q.toLowerCase())) return shown;
  return shown.concat([{ id: NEW_CODE + q, name: `New code “${q}”`, color: "#9e9e9e", isNew: true }]);
}

// Whether the query finds this code only through its group's name: Enter then must not apply
// it unasked (walk 10: "Relationships" and Enter coded Buy-in, the group's first code).
function groupOnly(code, query) {
  const q = (query || "").trim().toLowerCase();
  return Boolean(q) && !code.name.toLowerCase().includes(q) && !code.id.toLowerCase().includes(q)
    && (code.under || "").toLowerCase().includes(q);
}

if (typeof module !== "undefined") {
  module.exports = { cpLen, cutRun, covering, pointOffset, ordered, pickCodes, groupOnly, withNewCode, NEW_CODE };
}
