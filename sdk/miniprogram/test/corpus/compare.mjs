// How the corpus runner compares what the SDK answered with what CloudBase
// answers, on what CloudBase code observes: values of the mini-program's realm
// are read without instanceof (the SDK runs in a vm sandbox), Dates compare by
// time, errors by the fields code reads (errMsg, errCode, message, code).

const tag = (v) => Object.prototype.toString.call(v);

/** Markers an expected value may hold. */
export const ANY = "<any>";
/** A generated record id: any non-empty string. */
export const ANY_ID = "<any-id>";
/** A Date within five minutes of the run (what db.serverDate() stores). */
export const NOW = "<now>";

/** The fields a PocketBase record carries that no CloudBase document has. */
const systemFields = ["collectionId", "collectionName", "created", "updated", "expand"];

/** Fields compared only where an expectation lists them. */
const listedOnly = ["_id", "_openid", "owner"];

/** isEmpty: a schema field's empty value, which reads as the field being absent. */
function isEmpty(v) {
    if (v === null || v === undefined || v === "" || v === 0 || v === false) {
        return true;
    }
    if (Array.isArray(v)) {
        return v.length === 0;
    }
    return tag(v) === "[object Object]" && Object.keys(v).length === 0;
}

/**
 * normalize copies a value (of either realm) into plain data: Dates become
 * { $date: ms }, errors { $error: { name, code, status, message, errMsg, errCode } },
 * RegExps { $regexp }, functions "<function>"; undefined object members are dropped.
 */
export function normalize(v, seen = new Set()) {
    if (v === null || typeof v !== "object") {
        return typeof v === "function" ? "<function>" : v;
    }
    if (seen.has(v)) {
        return "<cycle>";
    }
    seen.add(v);
    try {
        const t = tag(v);
        if (t === "[object Date]") {
            return { $date: v.getTime() };
        }
        if (t === "[object RegExp]") {
            return { $regexp: String(v) };
        }
        if (t === "[object Error]") {
            const e = {};
            for (const k of ["name", "code", "status", "message", "errMsg", "errCode"]) {
                if (v[k] !== undefined) e[k] = v[k];
            }
            return { $error: e };
        }
        if (Array.isArray(v)) {
            return v.map((x) => normalize(x, seen));
        }
        const out = {};
        for (const k of Object.keys(v)) {
            if (v[k] !== undefined) out[k] = normalize(v[k], seen);
        }
        return out;
    } finally {
        seen.delete(v);
    }
}

/** errorOf normalizes a rejection: the same shape as an Error, whatever was thrown. */
export function errorOf(err) {
    const n = normalize(err);
    if (n && n.$error) {
        return n;
    }
    const e = {};
    if (err && typeof err === "object") {
        for (const k of ["name", "code", "status", "message", "errMsg", "errCode"]) {
            if (err[k] !== undefined) e[k] = err[k];
        }
    } else {
        e.message = String(err);
    }
    return { $error: e };
}

/**
 * cleanDocs walks an expected and an actual value side by side and, in every
 * document (the value of a `data` key, or an item of an array there), drops
 * PocketBase's own fields and every top-level field holding an empty value
 * ("" 0 false null [] {}), on both sides: a PocketBase collection has every
 * field of its schema on every record, where a CloudBase document simply
 * lacks it. `_id`, `_openid` and `owner` (the owner relation, which every
 * wxbase document also carries; README "From CloudBase to PocketBase") are
 * compared only where the expectation lists them.
 */
export function cleanDocs(exp, act) {
    if (!isObj(exp) || !isObj(act)) {
        return act;
    }
    const out = Array.isArray(act) ? act.slice() : Object.assign({}, act);
    for (const k of Object.keys(out)) {
        if (k === "data" && exp && "data" in exp) {
            out[k] = cleanData(exp[k], out[k]);
            const e = exp[k];
            if (Array.isArray(e)) {
                exp[k] = e.map((d) => (isObj(d) ? cleanDoc(d, d) : d));
            } else if (isObj(e) && Array.isArray(e.$unordered)) {
                exp[k] = { $unordered: e.$unordered.map((d) => (isObj(d) ? cleanDoc(d, d) : d)) };
            } else if (isObj(e) && !e.$error) {
                exp[k] = cleanDoc(e, e);
            }
        } else if (exp && k in exp) {
            out[k] = cleanDocs(exp[k], out[k]);
        }
    }
    return out;
}

function isObj(v) {
    return v !== null && typeof v === "object";
}

function cleanData(exp, act) {
    if (Array.isArray(act)) {
        const list = (Array.isArray(exp) ? exp : isObj(exp) && Array.isArray(exp.$unordered) ? exp.$unordered : []).filter(isObj);
        const keep = (k) => list.some((d) => k in d);
        return act.map((d) => (isObj(d) && !d.$error ? cleanDoc(d, null, keep) : d));
    }
    if (isObj(act) && !act.$error && isObj(exp) && !Array.isArray(exp) && !exp.$unordered && !exp.$error) {
        return cleanDoc(act, exp);
    }
    return act;
}

function cleanDoc(doc, exp, keep) {
    const has = keep || ((k) => isObj(exp) && k in exp);
    const out = {};
    for (const k of Object.keys(doc)) {
        if (systemFields.includes(k) || isEmpty(doc[k])) continue;
        if (listedOnly.includes(k) && !has(k)) continue;
        out[k] = doc[k];
    }
    return out;
}

/** sortKey orders unordered lists the same way on both sides. */
function sortKey(v) {
    return JSON.stringify(v, (k, x) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x));
}

/**
 * mismatch returns null when actual matches expected, or a short
 * description of the first difference. Expected strings ANY, ANY_ID and NOW
 * are markers; an expected RegExp matches a string; { $unordered: [...] }
 * matches the same items in any order.
 */
export function mismatch(exp, act, path = "result") {
    if (exp === ANY) {
        return null;
    }
    if (exp === ANY_ID) {
        return typeof act === "string" && act.length > 0 ? null : `${path}: expected a record id, got ${show(act)}`;
    }
    if (exp === NOW) {
        const ok = isObj(act) && typeof act.$date === "number" && Math.abs(act.$date - Date.now()) < 5 * 60_000;
        return ok ? null : `${path}: expected a Date of now, got ${show(act)}`;
    }
    if (tag(exp) === "[object RegExp]") {
        return typeof act === "string" && exp.test(act) ? null : `${path}: expected ${exp}, got ${show(act)}`;
    }
    if (isObj(exp) && exp.$unordered) {
        if (!Array.isArray(act)) {
            return `${path}: expected an array, got ${show(act)}`;
        }
        if (act.length !== exp.$unordered.length) {
            return `${path}: expected ${exp.$unordered.length} items, got ${act.length}: ${show(act)}`;
        }
        const a = act.slice().sort((x, y) => (sortKey(x) < sortKey(y) ? -1 : 1));
        const e = exp.$unordered.slice().sort((x, y) => (sortKey(x) < sortKey(y) ? -1 : 1));
        for (let i = 0; i < e.length; i++) {
            const m = mismatch(e[i], a[i], `${path}[*]`);
            if (m) return m;
        }
        return null;
    }
    if (!isObj(exp)) {
        return Object.is(exp, act) || exp === act ? null : `${path}: expected ${show(exp)}, got ${show(act)}`;
    }
    if (!isObj(act)) {
        return `${path}: expected ${show(exp)}, got ${show(act)}`;
    }
    if (Array.isArray(exp)) {
        if (!Array.isArray(act)) {
            return `${path}: expected an array, got ${show(act)}`;
        }
        if (exp.length !== act.length) {
            return `${path}: expected ${exp.length} items, got ${act.length}: ${show(act)}`;
        }
        for (let i = 0; i < exp.length; i++) {
            const m = mismatch(exp[i], act[i], `${path}[${i}]`);
            if (m) return m;
        }
        return null;
    }
    if (exp.$error) {
        if (!act.$error) {
            return `${path}: expected an error, got ${show(act)}`;
        }
        for (const k of Object.keys(exp.$error)) {
            const m = mismatch(exp.$error[k], act.$error[k], `${path}.${k}`);
            if (m) return m;
        }
        return null;
    }
    if (act.$error) {
        return `${path}: expected ${show(exp)}, got the error ${show(act.$error)}`;
    }
    for (const k of Object.keys(exp)) {
        if (!(k in act)) {
            return `${path}.${k}: missing (expected ${show(exp[k])})`;
        }
        const m = mismatch(exp[k], act[k], `${path}.${k}`);
        if (m) return m;
    }
    for (const k of Object.keys(act)) {
        if (!(k in exp)) {
            return `${path}.${k}: not expected, got ${show(act[k])}`;
        }
    }
    return null;
}

function show(v) {
    let s;
    try {
        s = JSON.stringify(v, (k, x) => (tag(x) === "[object RegExp]" ? String(x) : x));
    } catch {
        s = String(v);
    }
    if (s === undefined) s = String(v);
    return s.length > 160 ? s.slice(0, 157) + "..." : s;
}

/** prepare normalizes an expectation (Node-realm Dates and errors) the same way as a result, keeping markers and RegExps. */
export function prepare(exp) {
    if (exp === null || typeof exp !== "object") {
        return exp;
    }
    if (tag(exp) === "[object RegExp]") {
        return exp;
    }
    if (tag(exp) === "[object Date]") {
        return { $date: exp.getTime() };
    }
    if (Array.isArray(exp)) {
        return exp.map(prepare);
    }
    const out = {};
    for (const k of Object.keys(exp)) {
        if (exp[k] !== undefined) out[k] = prepare(exp[k]);
    }
    return out;
}

/**
 * classify judges one pattern's outcome:
 *   identical   — what CloudBase answers;
 *   differs     — what the README documents wxbase answers instead;
 *   unsupported — rejected with wxbase_unsupported;
 *   wrong       — another answer, and no error;
 *   crash       — any other error.
 * outcome is { value } or { error } (normalized).
 */
export function classify(pattern, outcome, expected, differsExpected) {
    const actual = outcome.error || outcome.value;
    const exp = structuredClone(expected);
    const m = mismatch(exp, cleanDocs(exp, actual));
    if (!m) {
        return { kind: "identical" };
    }
    if (differsExpected !== undefined) {
        const dexp = structuredClone(differsExpected);
        if (!mismatch(dexp, cleanDocs(dexp, actual))) {
            return { kind: "differs", reason: pattern.differs.doc };
        }
    }
    if (outcome.error) {
        const e = outcome.error.$error;
        if (e.code === "wxbase_unsupported") {
            return { kind: "unsupported", reason: e.message };
        }
        const what = `${e.name || "Error"}${e.status ? " " + e.status : ""}${e.code ? " " + e.code : ""}: ${e.message}`;
        return { kind: "crash", reason: expected && expected.$error ? `${what} (${m})` : what };
    }
    if (JSON.stringify(actual).includes('"noCallback":true')) {
        return { kind: "wrong", reason: `success/fail/complete were never called (${m})` };
    }
    return { kind: "wrong", reason: m };
}
