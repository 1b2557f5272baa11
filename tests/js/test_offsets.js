// Unit tests of the transcript component's offset mapping (run by tests/test_transcript_view.py).
const assert = require("assert");
const { cpLen, cutRun, covering, pointOffset, ordered, pickCodes, groupOnly, withNewCode } = require("../../qualcode/ui/components/offsets.js");

// Code points, not UTF-16 units: an emoji or a rare CJK character counts once.
assert.strictEqual(cpLen("abc"), 3);
assert.strictEqual(cpLen("a😀b"), 3);
assert.strictEqual(cpLen("𠜎x"), 2);
assert.strictEqual(cpLen(""), 0);

// A run cut at the boundaries of highlights that start or end inside it.
assert.deepStrictEqual(cutRun(10, "Three hours.", [{ s: 16, e: 40 }]),
  [{ s: 10, e: 16, t: "Three " }, { s: 16, e: 22, t: "hours." }]);
assert.deepStrictEqual(cutRun(0, "a😀bc", [{ s: 2, e: 3 }]),
  [{ s: 0, e: 2, t: "a😀" }, { s: 2, e: 3, t: "b" }, { s: 3, e: 4, t: "c" }]);
assert.deepStrictEqual(cutRun(5, "xyz", []), [{ s: 5, e: 8, t: "xyz" }]);
// Spans outside the run do not cut it.
assert.deepStrictEqual(cutRun(5, "xyz", [{ s: 0, e: 5 }, { s: 8, e: 9 }]), [{ s: 5, e: 8, t: "xyz" }]);

// Which highlights cover a piece.
const hls = [{ s: 0, e: 5, code: "a" }, { s: 3, e: 9, code: "b" }];
assert.deepStrictEqual(covering(hls, 4, 5).map((h) => h.code), ["a", "b"]);
assert.deepStrictEqual(covering(hls, 5, 6).map((h) => h.code), ["b"]);
assert.deepStrictEqual(covering(hls, 9, 10), []);

// A point inside a run: the run's start plus the code points before it.
assert.strictEqual(pointOffset(100, "😀 ok"), 104);
assert.strictEqual(pointOffset(7, ""), 7);
// Selections made right to left come out ordered.
assert.deepStrictEqual(ordered(9, 3), [3, 9]);

// The picker: recent codes first, then names starting with the query.
const codes = [{ id: "trust", name: "Trust" }, { id: "buy_in", name: "Buy-in" }, { id: "distrust", name: "Low trust" }];
assert.deepStrictEqual(pickCodes(codes, [], "tru").map((c) => c.id), ["trust", "distrust"]);
assert.deepStrictEqual(pickCodes(codes, ["distrust"], "tru").map((c) => c.id), ["distrust", "trust"]);
assert.deepStrictEqual(pickCodes(codes, ["buy_in"], "").map((c) => c.id)[0], "buy_in");
assert.deepStrictEqual(pickCodes(codes, [], "zzz"), []);
// A group's name lists the codes under it (the group itself is not applied), after any code
// named that way.
const grouped = [{ id: "reach", name: "Reach", under: "Context and outcomes" },
  { id: "cost", name: "Cost", under: "Context and outcomes" }, { id: "outcome_x", name: "Outcomes seen" }];
assert.deepStrictEqual(pickCodes(grouped, [], "Context and outcomes").map((c) => c.id), ["cost", "reach"]);
assert.deepStrictEqual(pickCodes(grouped, [], "outcome").map((c) => c.id), ["outcome_x", "cost", "reach"]);
// A codable parent named as typed comes before its children found through its name, even one
// used a moment ago (walk 43: Enter was about to code "Transport and mobility").
const parent = [{ id: "work", name: "Working conditions" },
  { id: "transport", name: "Transport and mobility", under: "Working conditions" }];
assert.deepStrictEqual(pickCodes(parent, ["transport"], "Working cond").map((c) => c.id), ["work", "transport"]);
assert.deepStrictEqual(pickCodes(parent, ["transport"], "").map((c) => c.id), ["transport", "work"]);
assert.strictEqual(groupOnly(pickCodes(parent, ["transport"], "Working cond")[0], "Working cond"), false);
// Found through its group's name only: Enter does not apply it unasked (walk 10).
assert.strictEqual(groupOnly(grouped[0], "Context and"), true);
assert.strictEqual(groupOnly(grouped[0], "reach"), false);
assert.strictEqual(groupOnly(grouped[2], "outcome"), false);
assert.strictEqual(groupOnly(grouped[0], ""), false);
console.log("offsets.js: all assertions passed");

// A name no code has: the box offers it as a new code, last; an existing name (any case) is not offered again.
const few = [{ id: "trust", name: "Trust" }, { id: "dig", name: "Dignity" }];
assert.deepStrictEqual(withNewCode([], few, "  Feeling   respected ").map((c) => [c.id, c.isNew]),
  [["new:Feeling respected", true]]);
assert.deepStrictEqual(withNewCode([few[1]], few, "Dig").map((c) => c.id), ["dig", "new:Dig"]);
assert.deepStrictEqual(withNewCode([few[1]], few, "dignity").map((c) => c.id), ["dig"]);
assert.deepStrictEqual(withNewCode(few, few, "  "), few);
