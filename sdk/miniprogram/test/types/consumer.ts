// Compiled by `npm run typecheck`, never run: the API as a
// TypeScript mini-program would use it. The @ts-expect-error lines prove
// the declarations refuse misuse (tsc fails if such a line compiles).
import { init, WxbaseError, RecordModel } from "wxbase-miniprogram";

interface Todo {
    title: string;
    n: number;
    done: boolean;
    tags: string[];
}

async function page(filePath: string): Promise<void> {
    const app = init({ baseURL: "https://api.example.com" });
    init({ baseURL: "https://api.example.com", mockUser: "alice", refreshWithin: 3600 });

    const { record, isNew } = await app.login();
    const name: string = record.id;
    const first: boolean = isNew;
    await app.ensureLogin();
    const valid: boolean = app.pb.authStore.isValid;

    const db = app.database();
    const _ = db.command;
    const todos = db.collection<Todo>("todos");
    const { _id } = await todos.add({ data: { title: "x", n: 1 } });
    const { data } = await todos.doc(_id).get();
    const title: string = data.title;
    const owner: string | undefined = data._openid;
    const updated: number = (await todos.doc(_id).update({ data: { n: _.inc(1), tags: _.push("a") } })).stats.updated;
    const created: number = (await todos.doc(_id).set({ data: { title: "y" } })).stats.created;
    const removed: number = (await todos.doc(_id).remove()).stats.removed;
    const list = await todos
        .where({ done: false, n: _.gt(2).and(_.lt(9)), tags: _.in(["a", "b"]) })
        .orderBy("n", "desc")
        .skip(3)
        .limit(5)
        .field({ title: true })
        .get();
    const firstTitle: string = list.data[0].title;
    const total: number = (await todos.where(_.or([{ n: 1 }, { done: true }])).count()).total;
    await todos.where({ _openid: "{openid}" }).update({ data: { done: true } });
    await todos.where({ done: true }).remove();

    const avatar: RecordModel = await app.uploadFile({ collection: "users", id: name, field: "avatar", filePath });
    const url: string = app.fileURL(avatar, avatar.avatar, { token: await app.fileToken() });
    const { result } = await app.callFunction<{ openid: string }>({ name: "whoami", data: { x: 1 } });
    const openid: string = result.openid;

    const tapped = async (e: WechatMiniprogram.ButtonGetPhoneNumber) => (await app.getPhoneNumber(e)).phone;
    const bound = await app.getPhoneNumber({ detail: { code: "from-the-button" } });
    const numbers: [string, string, string] = [bound.phone, bound.purePhoneNumber, bound.countryCode];
    const anyEvent = async (e: WechatMiniprogram.CustomEvent) => app.getPhoneNumber(e);
    const steps = await app.decrypt<{ stepInfoList: Array<{ timestamp: number; step: number }> }>({ encryptedData: "e", iv: "i" });
    const today: number = steps.data.stepInfoList[0].step;
    const legacy = await app.decrypt({ encryptedData: "e", iv: "i", rawData: "{}", signature: "s" });
    const nick: any = legacy.data.nickName;
    const keyValid: boolean = (await app.checkSession()).valid;

    const watcher = todos
        .where({ done: false })
        .orderBy("n", "asc")
        .limit(10)
        .watch({
            onChange(snapshot) {
                const initial: boolean = snapshot.type === "init";
                const titles: string[] = snapshot.docs.map((d) => d.title);
                const kinds: string[] = snapshot.docChanges.map((c) => c.dataType + c.queueType + c.docId + c.doc._id);
                void [initial, titles, kinds, snapshot.id + 1];
            },
            onError(err) {
                const code: string = err.code;
                void code;
            },
        });
    await watcher.close();
    todos.doc(_id).watch({ onChange() {}, onError() {} });
    // @ts-expect-error watch() needs onError too
    todos.watch({ onChange() {} });

    try {
        await todos.doc("missing").get();
    } catch (err) {
        if (err instanceof WxbaseError) {
            const fields: [number, string, string, object] = [err.status, err.code, err.message, err.data];
            const cloudbase: [string | undefined, number | undefined] = [err.errMsg, err.errCode];
            void cloudbase;
            void fields;
        }
    }

    // CloudBase's callback style: with a callback, nothing is returned.
    const nothing: void = todos.doc(_id).get({
        success: (res) => void res.data.title,
        fail: (err) => void [err.errMsg, err.errCode],
        complete: () => {},
    });
    todos.where({ done: true }).get({ success: (res) => void res.data[0].title });
    todos.where({ done: true }).count({ complete: () => {} });
    todos.add({ data: { title: "z" }, success: (res) => void res._id });
    todos.doc(_id).update({ data: { n: 1 }, fail: (err) => void err.code });
    todos.doc(_id).set({ data: { title: "z" }, success: (res) => void res.stats.created });
    todos.doc(_id).remove({ complete: () => {} });
    todos.where({ done: true }).update({ data: { done: false }, success: (res) => void res.stats.updated });
    todos.where({ done: true }).remove({ fail: () => {} });
    // @ts-expect-error with a callback there is no Promise
    todos.doc(_id).get({ success() {} }).then;
    const stillPromise: number = (await todos.where({ done: true }).count({})).total;

    // throwOnNotFound: false answers { data: null } for a missing record.
    const lenient = app.database({ throwOnNotFound: false });
    const maybe = (await lenient.collection<Todo>("todos").doc(_id).get()).data;
    const maybeTitle: string | undefined = maybe ? maybe.title : undefined;
    // @ts-expect-error data may be null with throwOnNotFound: false
    const sureTitle: string = (await lenient.collection<Todo>("todos").doc(_id).get()).data.title;
    const strict: string = (await app.database({ throwOnNotFound: true }).collection<Todo>("todos").doc(_id).get()).data.title;
    const refused: Promise<never> = db.runTransaction(async () => {});
    void [db.startTransaction, db.createCollection, _.jsonSchema];

    // The aggregation pipeline: $ is db.command.aggregate.
    const $ = _.aggregate;
    const board = await todos.aggregate().match({ done: false }).group({ _id: "$owner", n: $.sum(1) }).sort({ n: -1 }).limit(10).end();
    const boardErrMsg: string = board.errMsg;
    const firstGroup: unknown = board.list[0];
    const joined = todos.aggregate().lookup({ from: "tags", let: { id: "$_id" }, pipeline: $.pipeline().match(_.expr($.eq(["$todo", "$$id"]))).done(), as: "tags" });
    void [boardErrMsg, firstGroup, joined];
    // @ts-expect-error end() with callbacks returns nothing
    const noPromise: Promise<unknown> = todos.aggregate().end({ success: () => {} });

    // @ts-expect-error add() takes { data }
    await todos.add({ title: "x" });
    // @ts-expect-error the order is "asc" or "desc"
    todos.orderBy("n", "up");
    // @ts-expect-error baseURL is required
    init({});
    // @ts-expect-error inc takes a number
    _.inc("1");
    // @ts-expect-error uploadFile needs a filePath
    await app.uploadFile({ collection: "users", field: "avatar" });
    // @ts-expect-error getPhoneNumber takes the button's event, not its code
    await app.getPhoneNumber("from-the-button");
    // @ts-expect-error decrypt needs the iv
    await app.decrypt({ encryptedData: "e" });
    // @ts-expect-error checkSession answers { valid }, not a boolean
    const notBoolean: boolean = await app.checkSession();

    void [first, valid, title, owner, updated, created, removed, firstTitle, total, url, openid];
    void [tapped, numbers, anyEvent, today, nick, keyValid, notBoolean];
    void [nothing, stillPromise, maybeTitle, sureTitle, strict, refused];
}

void page;
