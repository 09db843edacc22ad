// CloudBase compatibility of the database facade against the real server:
// the success/fail/complete callback style, errMsg and errCode on errors,
// app.database({ throwOnNotFound: false }), CloudBase's other names, limit().
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Device, plain } from "./helpers/device.mjs";
import { creatorOnly, ownerField, startServer } from "./helpers/server.mjs";

let server;
let alice; // { app, db, _, device, id, sdk }
let lockedId; // a record of "locked": readable by anyone, changed by superusers only

async function signIn(user) {
    const device = new Device({ user });
    const { sdk } = device.launch();
    const app = sdk.init({ baseURL: server.url });
    const { record } = await app.login();
    const db = app.database();
    return { app, db, _: db.command, device, id: record.id, sdk };
}

/** seed creates records in notes as the superuser, owned by ownerId, in batches of 50. */
async function seed(ownerId, rows) {
    for (let i = 0; i < rows.length; i += 50) {
        const requests = rows.slice(i, i + 50).map((body) => ({ method: "POST", url: "/api/collections/notes/records", body: { owner: ownerId, ...body } }));
        await server.must("POST", "/api/batch", { requests });
    }
}

/** within fails a wait that takes longer than ms (a callback that never comes). */
function within(promise, ms = 5000, what = "the callback") {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not come within ${ms} ms`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * viaCallbacks calls invoke(callbacks) with success, fail and complete, and
 * resolves once complete came: what the call returned and each callback's
 * name and argument, in order.
 */
function viaCallbacks(invoke) {
    return within(
        new Promise((resolve) => {
            const calls = [];
            let returned = "not returned yet";
            returned = invoke({
                success: (res) => calls.push(["success", res]),
                fail: (err) => calls.push(["fail", err]),
                complete: (res) => {
                    calls.push(["complete", res]);
                    // complete may come before invoke returns only if it is synchronous: it must not be.
                    setImmediate(() => resolve({ returned, calls }));
                },
            });
        }),
    );
}

const names = (calls) => calls.map(([name]) => name);

/** cloudbaseError checks the shape every database error has: WxbaseError, errMsg, errCode. */
function cloudbaseError(api, errCode, extra = () => true) {
    return (err) => {
        assert.ok(err instanceof alice.sdk.WxbaseError, `not a WxbaseError: ${err}`);
        assert.equal(typeof err.errMsg, "string", "errMsg");
        assert.ok(err.errMsg.startsWith(`${api}:fail `), `errMsg "${err.errMsg}" does not start with "${api}:fail "`);
        assert.equal(err.errCode, errCode, `errCode of ${err.errMsg}`);
        assert.equal(typeof err.status, "number");
        assert.equal(typeof err.code, "string");
        assert.equal(typeof err.message, "string");
        assert.ok(err.message.length > 0);
        assert.ok(extra(err), `${err.errMsg} (status ${err.status}, code ${err.code})`);
        return true;
    };
}

before(async () => {
    server = await startServer();
    await server.createCollection({
        name: "notes",
        ...creatorOnly,
        fields: [ownerField, { name: "group", type: "text" }, { name: "title", type: "text" }, { name: "n", type: "number" }, { name: "capped", type: "number", max: 10 }],
    });
    await server.createCollection({
        name: "locked",
        listRule: "",
        viewRule: "",
        createRule: null,
        updateRule: null,
        deleteRule: null,
        fields: [{ name: "title", type: "text" }],
    });
    lockedId = (await server.must("POST", "/api/collections/locked/records", { title: "fixed" })).id;
    alice = await signIn("compat-alice");
});

after(async () => {
    await server?.stop();
});

describe("success, fail and complete callbacks", () => {
    test("every method with callbacks returns undefined, then calls success and complete with its result", async () => {
        const notes = () => alice.db.collection("notes");
        const added = await viaCallbacks((cb) => notes().add({ data: { group: "cb", title: "one", n: 1 }, ...cb }));
        assert.equal(added.returned, undefined, "add() returned something");
        assert.deepEqual(names(added.calls), ["success", "complete"]);
        assert.equal(added.calls[0][1], added.calls[1][1], "success and complete get the same result");
        const { _id, errMsg } = plain(added.calls[0][1]);
        assert.equal(errMsg, "collection.add:ok");
        assert.equal((await server.must("GET", `/api/collections/notes/records/${_id}`)).title, "one");

        const doc = () => notes().doc(_id);
        const calls = [
            ["document.get", (cb) => doc().get(cb), (res) => res.data.title === "one"],
            ["document.update", (cb) => doc().update({ data: { n: 2 }, ...cb }), (res) => res.stats.updated === 1],
            ["document.set", (cb) => doc().set({ data: { group: "cb", title: "set", n: 3 }, ...cb }), (res) => res.stats.updated === 1],
            ["collection.get", (cb) => notes().where({ group: "cb" }).get(cb), (res) => res.data.length === 1 && res.data[0].title === "set"],
            ["collection.count", (cb) => notes().where({ group: "cb" }).count(cb), (res) => res.total === 1],
            ["collection.update", (cb) => notes().where({ group: "cb" }).update({ data: { n: 4 }, ...cb }), (res) => res.stats.updated === 1],
            ["document.remove", (cb) => doc().remove(cb), (res) => res.stats.removed === 1],
            ["collection.remove", (cb) => notes().where({ group: "cb" }).remove(cb), (res) => res.stats.removed === 0],
        ];
        for (const [api, invoke, check] of calls) {
            const { returned, calls: got } = await viaCallbacks(invoke);
            assert.equal(returned, undefined, `${api} returned something`);
            assert.deepEqual(names(got), ["success", "complete"], api);
            const res = plain(got[0][1]);
            assert.equal(res.errMsg, `${api}:ok`);
            assert.ok(check(res), `${api}: ${JSON.stringify(res)}`);
            assert.equal(got[0][1], got[1][1], `${api}: success and complete get the same result`);
        }
    });

    test("get({ success }) alone works, for a query and a document", async () => {
        const { _id } = await alice.db.collection("notes").add({ data: { group: "only-success", title: "x" } });
        const list = await within(new Promise((resolve) => alice.db.collection("notes").where({ group: "only-success" }).get({ success: resolve })));
        assert.deepEqual(plain(list.data).map((d) => d.title), ["x"]);
        const one = await within(new Promise((resolve) => alice.db.collection("notes").doc(_id).get({ success: resolve })));
        assert.equal(one.data._id, _id);
        const counted = await within(new Promise((resolve) => alice.db.collection("notes").where({ group: "only-success" }).count({ complete: resolve })));
        assert.equal(counted.total, 1);
    });

    test("without callbacks each method still returns a Promise", async () => {
        const { _id } = await alice.db.collection("notes").add({ data: { group: "promise", title: "p" } });
        const returned = alice.db.collection("notes").doc(_id).get({});
        assert.equal(typeof returned.then, "function");
        assert.equal((await returned).data.title, "p");
        assert.equal(typeof alice.db.collection("notes").where({ group: "promise" }).count().then, "function");
    });

    test("a failure calls fail, then complete, with the error; nothing is returned or rejected", async () => {
        const unhandled = [];
        const onUnhandled = (reason) => unhandled.push(reason);
        process.on("unhandledRejection", onUnhandled);
        try {
            const id = "missingcb000001";
            const { returned, calls } = await viaCallbacks((cb) => alice.db.collection("notes").doc(id).get(cb));
            assert.equal(returned, undefined);
            assert.deepEqual(names(calls), ["fail", "complete"]);
            const err = calls[0][1];
            assert.equal(calls[1][1], err, "complete gets the same error");
            assert.ok(cloudbaseError("document.get", -1)(err));
            assert.equal(err.errMsg, `document.get:fail document with _id ${id} does not exist`);
            assert.equal(err.status, 404);

            const refused = await viaCallbacks((cb) => alice.db.collection("notes").remove(cb));
            assert.deepEqual(names(refused.calls), ["fail", "complete"]);
            assert.ok(cloudbaseError("collection.remove", -501021, (e) => e.code === "wxbase_unsupported")(refused.calls[0][1]));
            await new Promise((r) => setTimeout(r, 50));
            assert.deepEqual(unhandled, []);
        } finally {
            process.off("unhandledRejection", onUnhandled);
        }
    });

    test("a callback that throws is logged, not passed to fail, and leaves no unhandled rejection", async () => {
        const unhandled = [];
        const onUnhandled = (reason) => unhandled.push(reason);
        const logged = [];
        const consoleError = console.error;
        process.on("unhandledRejection", onUnhandled);
        // The sandbox's console is this console.
        console.error = (...args) => logged.push(args);
        try {
            const { _id } = await alice.db.collection("notes").add({ data: { group: "throws", title: "t" } });
            const boom = new Error("the app's own bug");
            const { returned, calls } = await viaCallbacks((cb) =>
                alice.db.collection("notes").doc(_id).get({
                    ...cb,
                    success: (res) => {
                        cb.success(res);
                        throw boom;
                    },
                }),
            );
            assert.equal(returned, undefined);
            assert.deepEqual(names(calls), ["success", "complete"], "fail must not be called; complete still is");

            const failing = await viaCallbacks((cb) =>
                alice.db.collection("notes").doc("missingcb000002").get({
                    ...cb,
                    fail: (err) => {
                        cb.fail(err);
                        throw boom;
                    },
                }),
            );
            assert.deepEqual(names(failing.calls), ["fail", "complete"]);

            const completing = await within(
                new Promise((resolve) => {
                    alice.db.collection("notes").doc(_id).get({
                        complete: () => {
                            setImmediate(resolve);
                            throw boom;
                        },
                    });
                }),
            );
            void completing;

            await new Promise((r) => setTimeout(r, 50));
            assert.deepEqual(unhandled, [], "an unhandled rejection");
            assert.equal(logged.length, 3, JSON.stringify(logged.map((args) => String(args[0]))));
            assert.ok(logged.every((args) => args.includes(boom)), "the thrown error is logged");
            assert.match(String(logged[0][0]), /document\.get.*success/);
            assert.match(String(logged[1][0]), /document\.get.*fail/);
            assert.match(String(logged[2][0]), /document\.get.*complete/);
        } finally {
            console.error = consoleError;
            process.off("unhandledRejection", onUnhandled);
        }
    });
});

describe("errors carry CloudBase's errMsg and errCode", () => {
    test("each method's rejection names the method; the errCode follows the failure", async () => {
        const db = alice.db;
        const cases = [
            ["collection.get", () => db.collection("nosuchcollection").get(), -502005, (e) => e.status === 404],
            ["collection.count", () => db.collection("nosuchcollection").where({ a: 1 }).count(), -502005, (e) => e.status === 404],
            ["collection.add", () => db.collection("notes").add({ data: { capped: 99 } }), -501007, (e) => e.status === 400 && e.data.capped !== undefined],
            ["collection.update", () => db.collection("nosuchcollection").where({ a: 1 }).update({ data: { a: 2 } }), -502005, (e) => e.status === 404],
            ["collection.remove", () => db.collection("notes").remove(), -501021, (e) => e.code === "wxbase_unsupported" && e.status === 0],
            ["document.get", () => db.collection("notes").doc("missingdoc00001").get(), -1, (e) => e.status === 404],
            ["document.set", () => db.collection("nosuchcollection").doc("missingdoc00002").set({ data: { a: 1 } }), -502005, (e) => e.status === 404],
            ["document.update", () => db.collection("locked").doc(lockedId).update({ data: { nosuchfield: "changed" } }), -501007, (e) => e.status === 400],
            ["document.remove", () => db.collection("nosuchcollection").doc(lockedId).remove(), -502005, (e) => e.status === 404],
        ];
        for (const [api, call, errCode, extra] of cases) {
            await assert.rejects(call(), cloudbaseError(api, errCode, extra), api);
        }
        assert.equal((await server.must("GET", `/api/collections/locked/records/${lockedId}`)).title, "fixed");
    });

    test("a missing document's errMsg is CloudBase's; message, status and code stay PocketBase's", async () => {
        const err = await alice.db
            .collection("notes")
            .doc("missingdoc00003")
            .get()
            .then(() => null, (e) => e);
        assert.ok(err, "get() of a missing record resolved");
        assert.equal(err.errMsg, "document.get:fail document with _id missingdoc00003 does not exist");
        assert.equal(err.errCode, -1);
        assert.equal(err.status, 404);
        assert.equal(err.code, "");
        assert.match(err.message, /wasn't found/);
    });

    test("a rule that refuses a list is a permission error", async () => {
        await server.createCollection({ name: "private", listRule: null, viewRule: null, fields: [{ name: "title", type: "text" }] });
        await assert.rejects(alice.db.collection("private").get(), cloudbaseError("collection.get", -502003, (e) => e.status === 403));
    });
});

describe("app.database({ throwOnNotFound: false })", () => {
    test("doc(id).get() of a missing record answers { data: null } instead of rejecting", async () => {
        const db = alice.app.database({ throwOnNotFound: false });
        const res = await db.collection("notes").doc("missingdoc00004").get();
        assert.deepEqual(plain(res), { data: null, errMsg: "document.get:ok" });
        assert.equal(res.data, null);

        const { _id } = await db.collection("notes").add({ data: { group: "nothrow", title: "here" } });
        const found = plain(await db.collection("notes").doc(_id).get());
        assert.equal(found.errMsg, "document.get:ok");
        assert.equal(found.data.title, "here");

        const viaSuccess = await within(new Promise((resolve) => db.collection("notes").doc("missingdoc00005").get({ success: resolve })));
        assert.deepEqual(plain(viaSuccess), { data: null, errMsg: "document.get:ok" });

        // Any other failure still rejects.
        await assert.rejects(db.collection("nosuchcollection").doc("missingdoc00006").get(), cloudbaseError("document.get", -502005));
        // The default database still rejects.
        await assert.rejects(alice.app.database().collection("notes").doc("missingdoc00007").get(), cloudbaseError("document.get", -1));
    });

    test("one database object per distinct options", () => {
        const app = alice.app;
        assert.equal(app.database({ throwOnNotFound: false }), app.database({ throwOnNotFound: false }));
        assert.equal(app.database(), app.database({}));
        assert.equal(app.database(), app.database({ throwOnNotFound: true }));
        assert.notEqual(app.database(), app.database({ throwOnNotFound: false }));
    });
});

describe("CloudBase's other names", () => {
    const unsupported = (pattern) => (err) => {
        assert.ok(err instanceof alice.sdk.WxbaseError, String(err));
        assert.equal(err.code, "wxbase_unsupported");
        assert.match(err.message, pattern);
        return true;
    };

    test("db.runTransaction, db.startTransaction and db.createCollection reject with what to use instead", async () => {
        const db = alice.db;
        for (const name of ["runTransaction", "startTransaction", "createCollection"]) {
            assert.equal(typeof db[name], "function", name);
        }
        await assert.rejects(db.runTransaction(async () => {}), unsupported(/pb_hooks.*\/api\/batch/s));
        await assert.rejects(db.startTransaction(), unsupported(/pb_hooks.*\/api\/batch/s));
        await assert.rejects(db.createCollection("todos2"), unsupported(/dashboard/));
        await assert.rejects(db.runTransaction(async () => {}), (err) => err.errMsg.startsWith("database.runTransaction:fail ") && err.errCode === -501021);
    });

    test("db.command.jsonSchema throws with what to use instead; expr and the aggregation operators build expressions", () => {
        const _ = alice.db.command;
        const $ = _.aggregate;
        assert.throws(() => _.jsonSchema({ required: ["title"] }), unsupported(/fields/));
        assert.equal(typeof $, "object");
        for (const name of ["sum", "avg", "max", "min", "first", "last", "push", "addToSet", "concat", "cond", "eq", "size", "dateToString"]) {
            assert.equal(typeof $[name], "function", name);
            const built = $[name]("$n");
            assert.equal(built.name, name, name);
            assert.equal(built.param, "$n", name);
        }
        assert.equal($.neq([1, 2]).name, "ne", "$.neq is MongoDB's $ne");
        assert.equal(typeof $.pipeline().match({ a: 1 }).done, "function");
        assert.deepEqual(plain($.pipeline().match({ a: _.gt(1) }).limit(2).done()), [{ $match: { a: { $gt: 1 } } }, { $limit: 2 }]);
    });

    test("aggregate().end() answers in both of CloudBase's styles, with errMsg and errCode", async () => {
        const notes = () => alice.db.collection("notes").aggregate();
        const { returned, calls } = await viaCallbacks((callbacks) => notes().count("n").end(callbacks));
        assert.equal(returned, undefined);
        assert.deepEqual(calls.map(([name]) => name), ["success", "complete"]);
        assert.equal(calls[0][1].errMsg, "collection.aggregate:ok");
        assert.ok(Array.isArray(calls[0][1].list));
        await assert.rejects(notes().bucket({ groupBy: "$n" }).end(), (err) =>
            err.code === "wxbase_unsupported" && /\$bucket/.test(err.message) && err.errCode === -501021 && err.errMsg.startsWith("collection.aggregate:fail "));
        const failed = await viaCallbacks((callbacks) => notes().limit(20000).end(callbacks));
        assert.deepEqual(failed.calls.map(([name]) => name), ["fail", "complete"]);
        assert.equal(failed.calls[0][1].code, "wxbase_limit_too_large");
        await assert.rejects($pipelineEnd(alice), unsupported(/done\(\)/));
    });
});

/** $pipelineEnd runs end() on a $.pipeline(), which has no collection: it rejects. */
function $pipelineEnd(user) {
    return user.db.command.aggregate.pipeline().end();
}

describe("limit()", () => {
    before(async () => {
        const rows = [];
        for (let n = 0; n < 1005; n++) {
            rows.push({ group: "bulk", n });
        }
        await seed(alice.id, rows);
    });

    test("above 1000 reads 1000, as the server SDK's cap, instead of throwing", async () => {
        const notes = alice.db.collection("notes");
        const res = await notes.where({ group: "bulk" }).orderBy("n").limit(1500).get();
        assert.equal(res.data.length, 1000);
        assert.deepEqual(plain(res.data.slice(0, 3)).map((d) => d.n), [0, 1, 2]);
        assert.equal(res.data[999].n, 999);
        const skipped = await notes.where({ group: "bulk" }).orderBy("n").skip(3).limit(5000).get();
        assert.equal(skipped.data.length, 1000);
        assert.equal(skipped.data[0].n, 3);
        assert.equal(skipped.data[999].n, 1002);
        assert.throws(() => notes.limit(0), (err) => err.code === "wxbase_unsupported");
        assert.throws(() => notes.limit(2.5), (err) => err.code === "wxbase_unsupported");
    });

    test("get() without limit() returns 20", async () => {
        const res = await alice.db.collection("notes").where({ group: "bulk" }).get();
        assert.equal(res.data.length, 20);
    });
});
