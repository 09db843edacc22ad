// watch() over one shared wx.connectSocket per app: the server's protocol is
// docs/realtime.md (GET /api/realtime/ws). The server sends the initial
// result and then only what changed; this keeps each watch's result, in
// its query's order, and hands CloudBase-shaped snapshots to onChange.
import type { RecordModel } from "pocketbase";
import type { AnyObject, CloudRecord, WatchDocChange, WatchOptions, WatchSnapshot, Watcher } from "../types/index";
import { decodeValue } from "./database/serialize";
import { WxbaseError } from "./errors";
import type { Session, WxAuthStore } from "./session";

/** What the server needs to run a watch, and what the SDK needs to keep its result. */
export interface WatchSpec {
    collection: string;
    /** The PocketBase filter for this user ('{openid}' is their id); "" for none. */
    filter(userId: string): string;
    /** PocketBase sort terms, such as "-n": sent to the server, and used to order later changes. */
    order: string[];
    fields?: string;
    /** The window of the result handed to onChange (the facade's skip() and limit()). */
    skip: number;
    limit?: number;
    /** The mini-program whose openids the documents' _openid holds. */
    appid?: string;
}

// An app-level ping keeps the server's 90 s idle timer (and proxies) at bay.
const pingEvery = 25000;
const firstRetry = 1000;
const maxRetry = 30000;
// setTimeout's largest delay; a longer wait is taken in steps.
const maxDelay = 0x7fffffff;

type Doc = CloudRecord;

interface Socket {
    task: WechatMiniprogram.SocketTask | null;
    /** The server answered auth: watches may be sent. */
    authed: boolean;
    user: string;
    sentToken: string;
    /** The watches sent on this socket. */
    sent: { [id: string]: true };
    /** session.logins when this socket was opened, for a shared re-login on 4001. */
    logins: number;
    ping: any;
    refresh: any;
}

/**
 * Realtime is the app's one socket and its watches. It reconnects with
 * backoff (at once on wx.onAppShow and when the network comes back),
 * re-authenticates, re-sends every watch, and each watch then starts over
 * with a fresh "init" snapshot.
 */
export class Realtime {
    private watches: { [id: string]: WatchState } = {};
    private nextId = 0;
    private socket: Socket | null = null;
    private connecting = false;
    private retry: any = null;
    private attempts = 0;
    private hidden = false;
    private offline = false;
    /** After logout(): the socket waits for the next login (or a new watch). */
    private waitingForToken = false;
    private listening = false;

    constructor(
        private readonly store: WxAuthStore,
        private readonly session: Session,
        private readonly url: string,
    ) {}

    watch<T>(spec: WatchSpec, options: WatchOptions<T>): Watcher {
        const state = new WatchState("w" + ++this.nextId, spec, options as WatchOptions<any>);
        this.watches[state.id] = state;
        this.listen();
        this.waitingForToken = false;
        const sock = this.socket;
        if (sock && sock.authed) {
            this.sendWatch(sock, state);
        } else if (!sock && !this.connecting && !this.retry) {
            this.connect();
        }
        return {
            close: () => {
                this.remove(state);
                return Promise.resolve();
            },
        };
    }

    /** listen subscribes, once, to what tells the socket to come back, and to token changes. */
    private listen(): void {
        if (this.listening) {
            return;
        }
        this.listening = true;
        if (typeof wx.onAppShow === "function") {
            wx.onAppShow(() => {
                this.hidden = false;
                this.resume();
            });
        }
        if (typeof wx.onAppHide === "function") {
            wx.onAppHide(() => {
                this.hidden = true;
            });
        }
        if (typeof wx.onNetworkStatusChange === "function") {
            wx.onNetworkStatusChange((res) => {
                this.offline = !res.isConnected;
                this.resume();
            });
        }
        this.store.onChange((token, record) => this.tokenChanged(token, record));
    }

    private hasWatches(): boolean {
        return Object.keys(this.watches).length > 0;
    }

    /** resume reconnects now, skipping the backoff, if a socket is wanted and none is up. */
    private resume(): void {
        if (this.hidden || this.offline || !this.hasWatches()) {
            return;
        }
        const sock = this.socket;
        if (sock) {
            // A socket WeChat silently lost answers a ping with onClose or onError.
            if (sock.authed) {
                this.send(sock, { type: "ping" });
            }
            return;
        }
        if (this.connecting) {
            return;
        }
        clearTimeout(this.retry);
        this.retry = null;
        this.attempts = 0;
        this.connect();
    }

    private connect(): void {
        if (this.socket || this.connecting || !this.hasWatches() || this.hidden || this.offline || this.waitingForToken) {
            return;
        }
        clearTimeout(this.retry);
        this.retry = null;
        this.connecting = true;
        const logins = this.session.logins;
        this.session.ready().then(
            () => {
                this.connecting = false;
                if (!this.socket && this.hasWatches() && !this.waitingForToken) {
                    this.open(logins);
                }
            },
            () => {
                // No session (offline, wx.login failing): try again later.
                this.connecting = false;
                this.scheduleReconnect();
            },
        );
    }

    private open(logins: number): void {
        const sock: Socket = { task: null, authed: false, user: "", sentToken: "", sent: {}, logins, ping: null, refresh: null };
        this.socket = sock;
        const task = wx.connectSocket({
            url: this.url,
            fail: (err) => this.closed(sock, 1006, err.errMsg, true),
        });
        if (!task) {
            // Base libraries before 1.7.0 return no task.
            this.closed(sock, 1006, "wx.connectSocket returned no SocketTask", false);
            return;
        }
        sock.task = task;
        task.onOpen(() => {
            if (sock !== this.socket) {
                return;
            }
            this.sendAuth(sock);
            sock.ping = setInterval(() => this.send(sock, { type: "ping" }), pingEvery);
        });
        task.onMessage((res) => this.message(sock, res.data));
        task.onClose((res) => this.closed(sock, res.code, res.reason, false));
        // WeChat may report a failure with onError alone.
        task.onError((res) => this.closed(sock, 1006, res.errMsg, true));
    }

    private send(sock: Socket, message: AnyObject): void {
        if (!sock.task) {
            return;
        }
        // A failed send means a dying socket: its onClose or onError follows.
        sock.task.send({ data: JSON.stringify(message), fail: () => undefined });
    }

    private sendAuth(sock: Socket): void {
        sock.sentToken = this.store.token;
        this.send(sock, { type: "auth", token: sock.sentToken });
    }

    private sendWatch(sock: Socket, state: WatchState): void {
        let message: AnyObject;
        try {
            message = state.message(this.store.record ? this.store.record.id : "");
        } catch (err) {
            this.drop(state);
            state.fail(err instanceof WxbaseError ? err : new WxbaseError(String(err)));
            return;
        }
        sock.sent[state.id] = true;
        this.send(sock, message);
    }

    private message(sock: Socket, data: string | ArrayBuffer): void {
        if (sock !== this.socket || typeof data !== "string") {
            return;
        }
        let msg: AnyObject;
        try {
            msg = JSON.parse(data);
        } catch (e) {
            return;
        }
        if (!msg || typeof msg !== "object") {
            return;
        }
        switch (msg.type) {
            case "auth":
                this.authenticated(sock, msg);
                return;
            case "snapshot": {
                const state = this.watches[msg.watch];
                if (state && sock.sent[state.id]) {
                    state.snapshot(msg);
                }
                return;
            }
            case "error": {
                // A refused renewal token keeps the previous one in use: nothing to do.
                const state = msg.watch ? this.watches[msg.watch] : undefined;
                if (state) {
                    this.drop(state);
                    const code = String(msg.code || "watch_failed");
                    state.fail(new WxbaseError(String(msg.message || "The watch failed."), { code, data: { code } }));
                }
                return;
            }
        }
    }

    private authenticated(sock: Socket, msg: AnyObject): void {
        sock.authed = true;
        sock.user = String(msg.user || "");
        this.attempts = 0;
        this.scheduleRefresh(sock, Number(msg.expires) * 1000);
        // A token renewed while this one was on its way goes too.
        if (this.store.token && this.store.token !== sock.sentToken) {
            this.sendAuth(sock);
        }
        for (const id of Object.keys(this.watches)) {
            if (!sock.sent[id]) {
                this.sendWatch(sock, this.watches[id]);
            }
        }
    }

    /**
     * scheduleRefresh renews the token a while before it runs out: a socket
     * makes no requests that would, and the server closes it (4001) at the
     * expiry of the token it holds. The new token is sent by tokenChanged.
     */
    private scheduleRefresh(sock: Socket, expiresAt: number): void {
        clearTimeout(sock.refresh);
        if (!expiresAt) {
            return;
        }
        const left = expiresAt - Date.now();
        const due = Date.now() + Math.max(0, left - Math.min(60000, left / 4));
        const wait = () => {
            if (sock !== this.socket) {
                return;
            }
            const delay = due - Date.now();
            if (delay > 0) {
                sock.refresh = setTimeout(wait, Math.min(delay, maxDelay));
                return;
            }
            this.session.renewToken().catch(() => undefined);
        };
        wait();
    }

    private tokenChanged(token: string, record: RecordModel | null): void {
        const sock = this.socket;
        if (!token) {
            // logout(): no socket until the next login.
            this.waitingForToken = true;
            this.shut();
            return;
        }
        if (this.waitingForToken) {
            this.waitingForToken = false;
            this.resume();
            return;
        }
        if (!sock || !sock.authed || token === sock.sentToken) {
            // A socket still opening sends the current token when it opens.
            return;
        }
        if (record && sock.user && record.id !== sock.user) {
            // A socket serves one user: another one gets a new socket.
            this.shut();
            this.resume();
            return;
        }
        this.sendAuth(sock);
    }

    /** closed handles the end of a socket, whichever of fail, onError and onClose told it first. */
    private closed(sock: Socket, code: number, reason: string, failed: boolean): void {
        if (sock !== this.socket) {
            return;
        }
        this.socket = null;
        this.stop(sock);
        if (failed && sock.task) {
            // After onError the task may still be open: let it go.
            try {
                sock.task.close({ code: 1000 });
            } catch (e) {
                // already closed
            }
        }
        const data = { closeCode: code, reason: reason || "" };
        switch (code) {
            case 4003:
                this.failAll(
                    new WxbaseError("The user was deleted or their sign-in was revoked: the socket is closed; log in again and watch anew.", {
                        code: "realtime_auth_revoked",
                        data,
                    }),
                );
                return;
            case 4000:
                this.failAll(new WxbaseError(`The server refused the socket's messages: ${reason}`, { code: "realtime_protocol_error", data }));
                return;
            case 4001:
                // The token is invalid or expired: a new login (shared with
                // any request that found out too), then a new socket.
                this.connecting = true;
                this.session
                    .renew(sock.logins)
                    .catch(() => undefined)
                    .then(() => {
                        this.connecting = false;
                        this.scheduleReconnect();
                    });
                return;
            default:
                this.scheduleReconnect();
        }
    }

    private stop(sock: Socket): void {
        clearInterval(sock.ping);
        clearTimeout(sock.refresh);
        for (const id of Object.keys(this.watches)) {
            this.watches[id].restart();
        }
    }

    private scheduleReconnect(): void {
        if (!this.hasWatches() || this.retry || this.socket || this.connecting) {
            return;
        }
        const delay = Math.min(maxRetry, firstRetry * Math.pow(2, this.attempts)) * (0.5 + Math.random() / 2);
        this.attempts++;
        this.retry = setTimeout(() => {
            this.retry = null;
            // Hidden or offline, connect() waits for wx.onAppShow or the network.
            this.connect();
        }, delay);
    }

    /** shut closes the socket on purpose: no reconnect. */
    private shut(): void {
        clearTimeout(this.retry);
        this.retry = null;
        this.attempts = 0;
        const sock = this.socket;
        if (!sock) {
            return;
        }
        this.socket = null;
        this.stop(sock);
        if (sock.task) {
            sock.task.close({ code: 1000, reason: "closed by the client", fail: () => undefined });
        }
    }

    /** remove is a watcher's close(): unwatch, and close the socket when it was the last. */
    private remove(state: WatchState): void {
        if (!this.watches[state.id]) {
            return;
        }
        const sock = this.socket;
        if (sock && sock.sent[state.id]) {
            this.send(sock, { type: "unwatch", id: state.id });
        }
        this.drop(state);
    }

    /** drop forgets a watch the server no longer runs. */
    private drop(state: WatchState): void {
        delete this.watches[state.id];
        state.closed = true;
        if (this.socket) {
            delete this.socket.sent[state.id];
        }
        if (!this.hasWatches()) {
            this.shut();
        }
    }

    private failAll(err: WxbaseError): void {
        const all = Object.keys(this.watches).map((id) => this.watches[id]);
        this.watches = {};
        clearTimeout(this.retry);
        this.retry = null;
        for (const state of all) {
            state.closed = true;
            state.fail(err);
        }
    }
}

/** One watch: its query, and the result it has delivered. */
class WatchState {
    closed = false;
    /** The whole result, in the query's order. */
    private docs: Doc[] = [];
    /** What onChange last got (the skip/limit window of docs). */
    private view: Doc[] = [];
    /** The initial snapshot's chunks so far. */
    private chunks: Doc[] | null = null;
    private ready = false;

    constructor(
        readonly id: string,
        private readonly spec: WatchSpec,
        private readonly options: WatchOptions<any>,
    ) {}

    message(userId: string): AnyObject {
        // The socket that carries it will send a fresh init.
        this.restart();
        const message: AnyObject = { type: "watch", id: this.id, collection: this.spec.collection };
        const filter = this.spec.filter(userId);
        if (filter) {
            message.filter = filter;
        }
        if (this.spec.order.length) {
            message.sort = this.spec.order.join(",");
        }
        if (this.spec.appid) {
            message.appid = this.spec.appid;
        }
        if (this.spec.fields) {
            message.fields = this.spec.fields;
        }
        return message;
    }

    restart(): void {
        this.chunks = null;
        this.ready = false;
    }

    fail(err: WxbaseError): void {
        deliver(() => this.options.onError(err));
    }

    snapshot(msg: AnyObject): void {
        // Dates travel as { $date }, as from get().
        const snap: AnyObject = decodeValue(msg.snapshot || {});
        const changes: WatchDocChange[] = Array.isArray(snap.docChanges) ? snap.docChanges : [];
        if (snap.type === "init") {
            this.chunks = (this.chunks || []).concat(Array.isArray(snap.docs) ? snap.docs : []);
            if (msg.more) {
                return;
            }
            this.docs = this.chunks;
            this.chunks = null;
            this.ready = true;
            this.view = this.window();
            const docChanges = this.view.map((doc): WatchDocChange => ({ docId: doc._id, doc, dataType: "init", queueType: "init" }));
            this.emit({ id: snap.id, type: "init", docs: this.view.slice(), docChanges });
            return;
        }
        if (!this.ready) {
            return;
        }
        const out: WatchDocChange[] = [];
        for (const change of changes) {
            const i = indexOf(this.docs, change.docId);
            if (change.dataType === "remove") {
                if (i >= 0) {
                    // The server sends only {_id}: hand over the document as it was.
                    out.push(Object.assign({}, change, { doc: this.docs[i] }));
                    this.docs.splice(i, 1);
                } else {
                    out.push(change);
                }
            } else {
                if (i >= 0) {
                    this.docs[i] = change.doc;
                } else {
                    this.docs.push(change.doc);
                }
                out.push(change);
            }
        }
        if (this.spec.order.length) {
            this.docs = sortDocs(this.docs, this.spec.order);
        }
        const windowed = this.spec.skip > 0 || this.spec.limit !== undefined;
        const before = this.view;
        this.view = windowed ? this.window() : this.docs;
        const docChanges = windowed ? windowChanges(before, this.view, out) : out;
        if (docChanges.length) {
            this.emit({ id: snap.id, docs: this.view.slice(), docChanges });
        }
    }

    private window(): Doc[] {
        const { skip, limit } = this.spec;
        if (!skip && limit === undefined) {
            return this.docs;
        }
        return this.docs.slice(skip, limit === undefined ? undefined : skip + limit);
    }

    private emit(snapshot: WatchSnapshot): void {
        if (!this.closed) {
            deliver(() => this.options.onChange(snapshot));
        }
    }
}

/**
 * deliver calls the app's callback; what it throws surfaces as an uncaught
 * error, outside the socket's handler, which keeps working.
 */
function deliver(call: () => void): void {
    try {
        call();
    } catch (err) {
        setTimeout(() => {
            throw err;
        }, 0);
    }
}

function indexOf(docs: Doc[], id: string): number {
    for (let i = 0; i < docs.length; i++) {
        if (docs[i]._id === id) {
            return i;
        }
    }
    return -1;
}

/**
 * windowChanges tells what changed in the window a limit()/skip() query
 * shows: documents that entered it are added, those that left removed
 * (whatever the server's change did to the whole result), and those that
 * stayed and changed updated.
 */
function windowChanges(before: Doc[], after: Doc[], changes: WatchDocChange[]): WatchDocChange[] {
    const was: { [id: string]: Doc } = {};
    const is: { [id: string]: true } = {};
    const touched: { [id: string]: true } = {};
    before.forEach((doc) => (was[doc._id] = doc));
    after.forEach((doc) => (is[doc._id] = true));
    changes.forEach((c) => (touched[c.docId] = true));
    const out: WatchDocChange[] = [];
    for (const doc of before) {
        if (!is[doc._id]) {
            out.push({ docId: doc._id, doc, dataType: "remove", queueType: "dequeue" });
        }
    }
    for (const doc of after) {
        if (!was[doc._id]) {
            out.push({ docId: doc._id, doc, dataType: "add", queueType: "enqueue" });
        } else if (touched[doc._id] && was[doc._id] !== doc) {
            out.push({ docId: doc._id, doc, dataType: "update", queueType: "update" });
        }
    }
    return out;
}

/** The value of a sort term in a document, with CloudBase's _id for id. */
function sortValue(doc: Doc, path: string): any {
    const steps = path.split(".");
    if (steps[0] === "id") {
        steps[0] = "_id";
    }
    let value: any = doc;
    for (const step of steps) {
        if (value === null || typeof value !== "object") {
            return null;
        }
        value = value[step];
    }
    return value;
}

/** SQLite's order of types: NULL, then numbers (and booleans), then text, then the rest. */
function typeRank(value: any): number {
    if (value === null || value === undefined) {
        return 0;
    }
    if (typeof value === "number" || typeof value === "boolean") {
        return 1;
    }
    if (typeof value === "string") {
        return 2;
    }
    return 3;
}

function compareValues(a: any, b: any): number {
    const ra = typeRank(a);
    const rb = typeRank(b);
    if (ra !== rb) {
        return ra - rb;
    }
    if (ra === 1) {
        return Number(a) - Number(b);
    }
    if (ra === 3) {
        a = JSON.stringify(a);
        b = JSON.stringify(b);
    }
    return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * sortDocs orders documents as the server's sort would; ties keep their
 * current order (the server's, then arrival), whatever sort the engine has.
 */
export function sortDocs(docs: Doc[], order: string[]): Doc[] {
    const terms = order.map((term) => (term.charAt(0) === "-" ? { path: term.slice(1), dir: -1 } : { path: term.replace(/^\+/, ""), dir: 1 }));
    return docs
        .map((doc, i) => ({ doc, i }))
        .sort((x, y) => {
            for (const term of terms) {
                const c = compareValues(sortValue(x.doc, term.path), sortValue(y.doc, term.path));
                if (c) {
                    return c * term.dir;
                }
            }
            return x.i - y.i;
        })
        .map((entry) => entry.doc);
}
