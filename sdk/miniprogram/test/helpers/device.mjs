// A phone for the SDK tests: a WeChat user, wx storage that outlives an app
// launch, and launch(), which loads the BUILT bundle into a fresh vm sandbox
// with a `wx` emulated over Node's HTTP, holding WeChat's limits.
import { readFileSync } from "node:fs";
import http from "node:http";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import WebSocket from "ws";
import { bannedGlobals } from "../../scripts/scan.mjs";

export const bundlePath = join(dirname(fileURLToPath(import.meta.url)), "../../miniprogram_dist/index.js");

// The methods wx.request accepts (WeChat's documentation); PATCH is not one.
const wxMethods = ["OPTIONS", "GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "CONNECT"];

let codes = 0;

/** plain copies a value out of the sandbox's realm, for deepStrictEqual. */
export function plain(value) {
    return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

export class Device {
    // appId defaults to the app the --wechat-mock server makes: it refuses
    // appids that wechat_apps does not hold, as a real server does.
    constructor({ user = "alice", appId = "wx0000000000000000", bundle = bundlePath } = {}) {
        this.bundle = bundle; // the file launch() loads
        this.user = user; // who wx.login signs in as
        this.appId = appId;
        this.storage = new Map(); // survives launch(): the phone's wx storage
        this.sessionValid = true; // what wx.checkSession answers
        this.loginFailure = null; // an errMsg makes wx.login fail
        this.nextCode = null; // a code wx.login hands out once instead of a fresh one
        this.requests = []; // every wx.request and wx.uploadFile: { api, method, url, header, body (text) }
        this.responses = []; // every answer wx.request got: { url, status, body (text) }
        // A test's hook, awaited after the server answered a wx.request and
        // before the mini-program sees the answer: (request, { status, body }).
        this.beforeAnswer = null;
        this.sockets = []; // every wx.connectSocket: its SocketTask (url, state, sent, received)
        this.online = true; // false: wx.connectSocket fails, as with no network
        this.intervals = []; // every setInterval of the mini-program: { fn, ms }
        this.listeners = { appShow: [], appHide: [], network: [] };
        this.timers = new Set(); // the mini-program's pending timers, for dispose()
    }

    /** show brings the mini-program to the foreground: wx.onAppShow's callbacks run. */
    show() {
        for (const fn of this.listeners.appShow) fn({ path: "pages/index/index", scene: 1001, query: {} });
    }

    /** hide sends it to the background: wx.onAppHide's callbacks run. */
    hide() {
        for (const fn of this.listeners.appHide) fn({});
    }

    /** setNetwork switches the network: open sockets drop when it goes, and wx.onNetworkStatusChange's callbacks run. */
    setNetwork(isConnected) {
        this.online = isConnected;
        for (const fn of this.listeners.network) fn({ isConnected, networkType: isConnected ? "wifi" : "none" });
        if (!isConnected) this.dropSockets();
    }

    /** dropSockets cuts every open socket's connection, as a lost network does (onClose 1006). */
    dropSockets() {
        for (const task of this.sockets) task.drop();
    }

    /** openSockets lists the SocketTasks connecting or open. */
    openSockets() {
        return this.sockets.filter((t) => t.state === "connecting" || t.state === "open");
    }

    /** dispose stops the mini-program: its timers and sockets, so the test process can end. */
    dispose() {
        this.disposed = true;
        for (const handle of this.timers) clearTimeout(handle);
        this.timers.clear();
        for (const task of this.sockets) {
            task.handlers = { open: [], message: [], close: [], error: [] };
            task.drop();
        }
    }

    /** requestsTo lists the logged requests whose path ends with suffix. */
    requestsTo(suffix) {
        return this.requests.filter((r) => new URL(r.url).pathname.endsWith(suffix));
    }

    /**
     * launch starts the mini-program anew: a fresh sandbox and a fresh copy of
     * the bundle, the same storage. It returns the bundle's exports and run(),
     * which evaluates code inside the sandbox (for values of its realm).
     */
    launch() {
        // The timers are Node's, tracked so that dispose() can stop them.
        const timers = this.timers;
        const intervals = this.intervals;
        const device = this;
        const context = vm.createContext({
            console,
            setTimeout(fn, ms, ...args) {
                if (device.disposed) return 0;
                const handle = setTimeout(() => {
                    timers.delete(handle);
                    fn(...args);
                }, ms);
                timers.add(handle);
                return handle;
            },
            clearTimeout(handle) {
                timers.delete(handle);
                clearTimeout(handle);
            },
            setInterval(fn, ms, ...args) {
                if (device.disposed) return 0;
                const handle = setInterval(fn, ms, ...args);
                timers.add(handle);
                intervals.push({ fn, ms, handle });
                return handle;
            },
            clearInterval(handle) {
                timers.delete(handle);
                clearInterval(handle);
            },
        });
        // A fresh context still has globalThis: a mini-program has none.
        vm.runInContext("delete globalThis.globalThis;", context);
        const run = (code) => vm.runInContext(code, context);
        context.wx = makeWx(this, run("JSON"));

        const module = { exports: {} };
        // The mini-program module wrapper, with a require() that refuses: the
        // bundle must be self-contained.
        const wrapper = vm.runInContext(`(function (module, exports, require) {${readFileSync(this.bundle, "utf8")}\n})`, context, {
            filename: this.bundle,
        });
        wrapper(module, module.exports, (name) => {
            throw new Error(`the bundle called require("${name}")`);
        });
        return { sdk: module.exports, run, missing: bannedGlobals.filter((name) => run(`typeof ${name}`) === "undefined") };
    }
}

function later(fn) {
    setImmediate(fn);
}

function callback(opts, ok, result) {
    later(() => {
        const fn = ok ? opts.success : opts.fail;
        if (fn) fn(result);
        if (opts.complete) opts.complete(result);
    });
}

function headerObject(raw) {
    const out = {};
    for (const [k, v] of Object.entries(raw)) {
        out[k] = Array.isArray(v) ? v.join(", ") : v;
    }
    return out;
}

function contentType(header) {
    const key = Object.keys(header).find((k) => k.toLowerCase() === "content-type");
    return key ? String(header[key]) : "";
}

/** send makes one HTTP request: { req, done } where done resolves { status, header, body }. */
function send(url, method, header, body) {
    let req;
    const done = new Promise((resolve, reject) => {
        req = http.request(url, { method, headers: header }, (res) => {
            const chunks = [];
            res.on("data", (c) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode, header: headerObject(res.headers), body: Buffer.concat(chunks) }));
            res.on("error", reject);
        });
        req.on("error", reject);
        if (body !== undefined) req.write(body);
        req.end();
    });
    return { req, done };
}

// WeChat allows at most 5 sockets at once.
const maxSockets = 5;

/**
 * SocketTask is wx.connectSocket's task over a real WebSocket (the ws
 * package): WeChat's callbacks (onOpen, onMessage, onClose, onError), send
 * and close with its option objects, and its failures. It logs every frame
 * both ways, parsed, in sent and received.
 */
class SocketTask {
    constructor(device, opts) {
        this.url = opts.url;
        this.state = "connecting"; // connecting, open, closing, closed
        this.sent = [];
        this.received = [];
        this.closeEvent = null; // what onClose got
        this.handlers = { open: [], message: [], close: [], error: [] };
        const fail = (errMsg) => {
            this.state = "closed";
            callback(opts, false, { errMsg });
            later(() => {
                this.fire("error", { errMsg });
                this.closeEvent = { code: 1006, reason: "abnormal closure" };
                this.fire("close", this.closeEvent);
            });
        };
        if (typeof opts.url !== "string" || !/^wss?:\/\//.test(opts.url)) {
            fail(`connectSocket:fail invalid url "${opts.url}"`);
            return;
        }
        if (device.openSockets().length >= maxSockets) {
            fail("connectSocket:fail exceed max task count");
            return;
        }
        if (!device.online) {
            fail("connectSocket:fail network is down");
            return;
        }
        callback(opts, true, { errMsg: "connectSocket:ok" });
        const ws = (this.ws = new WebSocket(opts.url, opts.protocols || [], { headers: opts.header || {} }));
        ws.on("open", () => {
            this.state = "open";
            this.fire("open", { header: {}, profile: {} });
        });
        ws.on("message", (data, isBinary) => {
            if (isBinary) {
                this.fire("message", { data: data.buffer.slice(data.byteOffset, data.byteOffset + data.length) });
                return;
            }
            const text = data.toString("utf8");
            this.received.push(JSON.parse(text));
            this.fire("message", { data: text });
        });
        ws.on("error", (err) => {
            this.fire("error", { errMsg: `WebSocket error: ${err.message}` });
        });
        ws.on("close", (code, reason) => {
            this.state = "closed";
            this.closeEvent = { code, reason: reason.toString("utf8") };
            this.fire("close", this.closeEvent);
        });
    }

    fire(event, res) {
        for (const fn of this.handlers[event]) fn(res);
    }

    onOpen(fn) {
        this.handlers.open.push(fn);
    }
    onMessage(fn) {
        this.handlers.message.push(fn);
    }
    onClose(fn) {
        this.handlers.close.push(fn);
    }
    onError(fn) {
        this.handlers.error.push(fn);
    }

    send(opts = {}) {
        if (this.state !== "open") {
            callback(opts, false, { errMsg: "sendSocketMessage:fail WebSocket is not connected" });
            return;
        }
        const data = opts.data;
        if (typeof data === "string") {
            this.sent.push(JSON.parse(data));
            this.ws.send(data);
        } else {
            this.ws.send(Buffer.from(data));
        }
        callback(opts, true, { errMsg: "sendSocketMessage:ok" });
    }

    close(opts = {}) {
        if (this.state === "closed" || this.state === "closing" || !this.ws) {
            callback(opts, false, { errMsg: "closeSocket:fail WebSocket is not connected" });
            return;
        }
        this.state = "closing";
        this.ws.close(opts.code || 1000, opts.reason || "");
        callback(opts, true, { errMsg: "closeSocket:ok" });
    }

    /** drop cuts the connection without a close frame (the network went away). */
    drop() {
        if (this.ws && this.state !== "closed") this.ws.terminate();
    }
}

/** makeWx emulates the wx APIs the SDK and the example use; JSON is the sandbox's. */
function makeWx(device, JSONof) {
    const storageGet = (key) => (device.storage.has(key) ? JSONof.parse(device.storage.get(key)) : "");

    return {
        request(opts) {
            const method = (opts.method || "GET").toUpperCase();
            let aborted = false;
            if (!wxMethods.includes(method)) {
                callback(opts, false, { errMsg: `request:fail parameter error: parameter.method should be one of ${wxMethods.join(", ")}`, errno: 1001 });
                return { abort() {} };
            }
            const header = {};
            for (const [k, v] of Object.entries(opts.header || {})) header[k] = String(v);
            if (!contentType(header)) header["content-type"] = "application/json";
            let url = opts.url;
            let body;
            const data = opts.data;
            if (method === "GET" && data !== undefined) {
                const query = typeof data === "string" ? data : new URLSearchParams(data).toString();
                if (query) url += (url.includes("?") ? "&" : "?") + query;
            } else if (typeof data === "string" || data instanceof ArrayBuffer) {
                body = typeof data === "string" ? data : Buffer.from(data);
            } else if (data !== undefined) {
                body = contentType(header).includes("x-www-form-urlencoded") ? new URLSearchParams(data).toString() : JSON.stringify(data);
            }
            const logged = { api: "request", method, url, header, body: typeof body === "string" ? body : undefined };
            device.requests.push(logged);
            const { req, done } = send(url, method, header, body);
            done.then(
                async (res) => {
                    if (aborted) return;
                    const text = res.body.toString("utf8");
                    device.responses.push({ url, status: res.status, body: text });
                    if (device.beforeAnswer) {
                        await device.beforeAnswer(logged, { status: res.status, body: text });
                        if (aborted) return;
                    }
                    let resData;
                    if (opts.responseType === "arraybuffer") {
                        resData = res.body.buffer.slice(res.body.byteOffset, res.body.byteOffset + res.body.length);
                    } else {
                        resData = text;
                        // dataType "json" (the default) parses when it can; any other value leaves text.
                        if ((opts.dataType || "json") === "json") {
                            try {
                                resData = JSONof.parse(resData);
                            } catch {
                                // WeChat hands over the text
                            }
                        }
                    }
                    callback(opts, true, { data: resData, statusCode: res.status, header: res.header, cookies: [], errMsg: "request:ok" });
                },
                (err) => {
                    if (aborted) return;
                    callback(opts, false, { errMsg: `request:fail ${err.message}`, errno: 600001 });
                },
            );
            return {
                abort() {
                    if (aborted) return;
                    aborted = true;
                    req.destroy();
                    callback(opts, false, { errMsg: "request:fail abort", errno: 1 });
                },
            };
        },

        connectSocket(opts = {}) {
            const task = new SocketTask(device, opts);
            device.sockets.push(task);
            return task;
        },

        onAppShow(fn) {
            device.listeners.appShow.push(fn);
        },
        offAppShow(fn) {
            device.listeners.appShow = device.listeners.appShow.filter((f) => f !== fn);
        },
        onAppHide(fn) {
            device.listeners.appHide.push(fn);
        },
        offAppHide(fn) {
            device.listeners.appHide = device.listeners.appHide.filter((f) => f !== fn);
        },
        onNetworkStatusChange(fn) {
            device.listeners.network.push(fn);
        },
        offNetworkStatusChange(fn) {
            device.listeners.network = device.listeners.network.filter((f) => f !== fn);
        },

        uploadFile(opts) {
            // WeChat's uploadFile always POSTs one file; it has no method or files option.
            if ((opts.method && opts.method !== "POST") || opts.files) {
                callback(opts, false, { errMsg: "uploadFile:fail only one file, sent by POST, is supported" });
                return { abort() {} };
            }
            if (!opts.url || !opts.name || !opts.filePath) {
                callback(opts, false, { errMsg: "uploadFile:fail parameter error: url, name and filePath are required" });
                return { abort() {} };
            }
            let file;
            try {
                file = readFileSync(opts.filePath);
            } catch {
                callback(opts, false, { errMsg: `uploadFile:fail file not found: ${opts.filePath}` });
                return { abort() {} };
            }
            const boundary = "----wxUploadBoundary" + Math.random().toString(16).slice(2);
            const parts = [];
            for (const [k, v] of Object.entries(opts.formData || {})) {
                parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${String(v)}\r\n`));
            }
            parts.push(
                Buffer.from(
                    `--${boundary}\r\nContent-Disposition: form-data; name="${opts.name}"; filename="${basename(opts.filePath)}"\r\nContent-Type: ${mimeOf(opts.filePath)}\r\n\r\n`,
                ),
                file,
                Buffer.from(`\r\n--${boundary}--\r\n`),
            );
            const header = {};
            for (const [k, v] of Object.entries(opts.header || {})) header[k] = String(v);
            header["content-type"] = `multipart/form-data; boundary=${boundary}`;
            device.requests.push({ api: "uploadFile", method: "POST", url: opts.url, header });
            send(opts.url, "POST", header, Buffer.concat(parts)).done.then(
                (res) => callback(opts, true, { data: res.body.toString("utf8"), statusCode: res.status, errMsg: "uploadFile:ok" }),
                (err) => callback(opts, false, { errMsg: `uploadFile:fail ${err.message}` }),
            );
            return { abort() {} };
        },

        login(opts = {}) {
            if (device.loginFailure) {
                callback(opts, false, { errMsg: `login:fail ${device.loginFailure}` });
                return;
            }
            let code = device.nextCode;
            device.nextCode = null;
            if (!code) code = `mock:${device.user}:${++codes}-${Math.random().toString(36).slice(2, 8)}`;
            callback(opts, true, { code, errMsg: "login:ok" });
        },

        checkSession(opts = {}) {
            if (device.sessionValid) callback(opts, true, { errMsg: "checkSession:ok" });
            else callback(opts, false, { errMsg: "checkSession:fail session time out, need relogin" });
        },

        getAccountInfoSync() {
            return { miniProgram: { appId: device.appId, envVersion: "develop", version: "" }, plugin: {} };
        },

        // Storage keeps JSON, as WeChat's does, so a stored object comes back a copy.
        setStorageSync(key, data) {
            device.storage.set(key, JSON.stringify(data));
        },
        getStorageSync(key) {
            return storageGet(key);
        },
        removeStorageSync(key) {
            device.storage.delete(key);
        },
        clearStorageSync() {
            device.storage.clear();
        },
        getStorageInfoSync() {
            return { keys: [...device.storage.keys()], currentSize: 0, limitSize: 10240 };
        },
        setStorage(opts) {
            device.storage.set(opts.key, JSON.stringify(opts.data));
            callback(opts, true, { errMsg: "setStorage:ok" });
        },
        getStorage(opts) {
            if (device.storage.has(opts.key)) callback(opts, true, { data: storageGet(opts.key), errMsg: "getStorage:ok" });
            else callback(opts, false, { errMsg: "getStorage:fail data not found" });
        },
        removeStorage(opts) {
            device.storage.delete(opts.key);
            callback(opts, true, { errMsg: "removeStorage:ok" });
        },
    };
}

function mimeOf(path) {
    if (/\.png$/i.test(path)) return "image/png";
    if (/\.jpe?g$/i.test(path)) return "image/jpeg";
    if (/\.txt$/i.test(path)) return "text/plain";
    return "application/octet-stream";
}
