/* wxbase-miniprogram 0.1.0 with pocketbase 0.28.1 (MIT). Built by scripts/build.mjs from src/: do not edit. */
var __defProp = Object.defineProperty;
var __defProps = Object.defineProperties;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropDescs = Object.getOwnPropertyDescriptors;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __getOwnPropSymbols = Object.getOwnPropertySymbols;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __propIsEnum = Object.prototype.propertyIsEnumerable;
var __defNormalProp = (obj, key, value) => key in obj ? __defProp(obj, key, { enumerable: true, configurable: true, writable: true, value }) : obj[key] = value;
var __spreadValues = (a, b) => {
  for (var prop in b || (b = {}))
    if (__hasOwnProp.call(b, prop))
      __defNormalProp(a, prop, b[prop]);
  if (__getOwnPropSymbols)
    for (var prop of __getOwnPropSymbols(b)) {
      if (__propIsEnum.call(b, prop))
        __defNormalProp(a, prop, b[prop]);
    }
  return a;
};
var __spreadProps = (a, b) => __defProps(a, __getOwnPropDescs(b));
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};
var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
  }
  return to;
};
var __toCommonJS = (mod) => __copyProps(__defProp({}, "__esModule", { value: true }), mod);

// src/index.ts
var index_exports = {};
__export(index_exports, {
  PocketBase: () => Client,
  WxbaseError: () => WxbaseError,
  init: () => init
});
module.exports = __toCommonJS(index_exports);

// node_modules/pocketbase/dist/pocketbase.es.mjs
var ClientResponseError = class _ClientResponseError extends Error {
  constructor(e2) {
    var _a, _b, _c, _d;
    super("ClientResponseError"), this.url = "", this.status = 0, this.response = {}, this.isAbort = false, this.originalError = null, Object.setPrototypeOf(this, _ClientResponseError.prototype), null !== e2 && "object" == typeof e2 && (this.originalError = e2.originalError, this.url = "string" == typeof e2.url ? e2.url : "", this.status = "number" == typeof e2.status ? e2.status : 0, this.isAbort = !!e2.isAbort || "AbortError" === e2.name || "Aborted" === e2.message, null !== e2.response && "object" == typeof e2.response ? this.response = e2.response : null !== e2.data && "object" == typeof e2.data ? this.response = e2.data : this.response = {}), this.originalError || e2 instanceof _ClientResponseError || (this.originalError = e2), this.name = "ClientResponseError " + this.status, this.message = (_a = this.response) == null ? void 0 : _a.message, this.message || (this.isAbort ? this.message = "The request was aborted (most likely autocancelled; you can find more info in https://github.com/pocketbase/js-sdk#auto-cancellation)." : ((_d = (_c = (_b = this.originalError) == null ? void 0 : _b.cause) == null ? void 0 : _c.message) == null ? void 0 : _d.includes("ECONNREFUSED ::1")) ? this.message = "Failed to connect to the PocketBase server. Try changing the SDK URL from localhost to 127.0.0.1 (https://github.com/pocketbase/js-sdk/issues/21)." : this.message = "Something went wrong."), this.cause = this.originalError;
  }
  get data() {
    return this.response;
  }
  toJSON() {
    return __spreadValues({}, this);
  }
};
var e = /^[\u0009\u0020-\u007e\u0080-\u00ff]+$/;
function cookieParse(e2, t2) {
  const s2 = {};
  if ("string" != typeof e2) return s2;
  const i2 = Object.assign({}, t2 || {}).decode || defaultDecode;
  let n2 = 0;
  for (; n2 < e2.length; ) {
    const t3 = e2.indexOf("=", n2);
    if (-1 === t3) break;
    let r2 = e2.indexOf(";", n2);
    if (-1 === r2) r2 = e2.length;
    else if (r2 < t3) {
      n2 = e2.lastIndexOf(";", t3 - 1) + 1;
      continue;
    }
    const o = e2.slice(n2, t3).trim();
    if (void 0 === s2[o]) {
      let n3 = e2.slice(t3 + 1, r2).trim();
      34 === n3.charCodeAt(0) && (n3 = n3.slice(1, -1));
      try {
        s2[o] = i2(n3);
      } catch (e3) {
        s2[o] = n3;
      }
    }
    n2 = r2 + 1;
  }
  return s2;
}
function cookieSerialize(t2, s2, i2) {
  const n2 = Object.assign({}, i2 || {}), r2 = n2.encode || defaultEncode;
  if (!e.test(t2)) throw new TypeError("argument name is invalid");
  const o = r2(s2);
  if (o && !e.test(o)) throw new TypeError("argument val is invalid");
  let a = t2 + "=" + o;
  if (null != n2.maxAge) {
    const e2 = n2.maxAge - 0;
    if (isNaN(e2) || !isFinite(e2)) throw new TypeError("option maxAge is invalid");
    a += "; Max-Age=" + Math.floor(e2);
  }
  if (n2.domain) {
    if (!e.test(n2.domain)) throw new TypeError("option domain is invalid");
    a += "; Domain=" + n2.domain;
  }
  if (n2.path) {
    if (!e.test(n2.path)) throw new TypeError("option path is invalid");
    a += "; Path=" + n2.path;
  }
  if (n2.expires) {
    if (!(function isDate2(e2) {
      return "[object Date]" === Object.prototype.toString.call(e2) || e2 instanceof Date;
    })(n2.expires) || isNaN(n2.expires.valueOf())) throw new TypeError("option expires is invalid");
    a += "; Expires=" + n2.expires.toUTCString();
  }
  if (n2.httpOnly && (a += "; HttpOnly"), n2.secure && (a += "; Secure"), n2.priority) {
    switch ("string" == typeof n2.priority ? n2.priority.toLowerCase() : n2.priority) {
      case "low":
        a += "; Priority=Low";
        break;
      case "medium":
        a += "; Priority=Medium";
        break;
      case "high":
        a += "; Priority=High";
        break;
      default:
        throw new TypeError("option priority is invalid");
    }
  }
  if (n2.sameSite) {
    switch ("string" == typeof n2.sameSite ? n2.sameSite.toLowerCase() : n2.sameSite) {
      case true:
        a += "; SameSite=Strict";
        break;
      case "lax":
        a += "; SameSite=Lax";
        break;
      case "strict":
        a += "; SameSite=Strict";
        break;
      case "none":
        a += "; SameSite=None";
        break;
      default:
        throw new TypeError("option sameSite is invalid");
    }
  }
  return a;
}
function defaultDecode(e2) {
  return -1 !== e2.indexOf("%") ? decodeURIComponent(e2) : e2;
}
function defaultEncode(e2) {
  return encodeURIComponent(e2);
}
var t = "undefined" != typeof navigator && "ReactNative" === navigator.product || "undefined" != typeof global && global.HermesInternal;
var s;
function getTokenPayload(e2) {
  if (e2) try {
    const t2 = decodeURIComponent(s(e2.split(".")[1]).split("").map((function(e3) {
      return "%" + ("00" + e3.charCodeAt(0).toString(16)).slice(-2);
    })).join(""));
    return JSON.parse(t2) || {};
  } catch (e3) {
  }
  return {};
}
function isTokenExpired(e2, t2 = 0) {
  let s2 = getTokenPayload(e2);
  return !(Object.keys(s2).length > 0 && (!s2.exp || s2.exp - t2 > Date.now() / 1e3));
}
s = "function" != typeof atob || t ? (e2) => {
  let t2 = String(e2).replace(/=+$/, "");
  if (t2.length % 4 == 1) throw new Error("'atob' failed: The string to be decoded is not correctly encoded.");
  for (var s2, i2, n2 = 0, r2 = 0, o = ""; i2 = t2.charAt(r2++); ~i2 && (s2 = n2 % 4 ? 64 * s2 + i2 : i2, n2++ % 4) ? o += String.fromCharCode(255 & s2 >> (-2 * n2 & 6)) : 0) i2 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=".indexOf(i2);
  return o;
} : atob;
var i = "pb_auth";
var BaseAuthStore = class {
  constructor() {
    this.baseToken = "", this.baseModel = null, this._onChangeCallbacks = [];
  }
  get token() {
    return this.baseToken;
  }
  get record() {
    return this.baseModel;
  }
  get model() {
    return this.baseModel;
  }
  get isValid() {
    return !isTokenExpired(this.token);
  }
  get isSuperuser() {
    var _a, _b;
    let e2 = getTokenPayload(this.token);
    return "auth" == e2.type && ("_superusers" == ((_a = this.record) == null ? void 0 : _a.collectionName) || !((_b = this.record) == null ? void 0 : _b.collectionName) && "pbc_3142635823" == e2.collectionId);
  }
  get isAdmin() {
    return console.warn("Please replace pb.authStore.isAdmin with pb.authStore.isSuperuser OR simply check the value of pb.authStore.record?.collectionName"), this.isSuperuser;
  }
  get isAuthRecord() {
    return console.warn("Please replace pb.authStore.isAuthRecord with !pb.authStore.isSuperuser OR simply check the value of pb.authStore.record?.collectionName"), "auth" == getTokenPayload(this.token).type && !this.isSuperuser;
  }
  save(e2, t2) {
    this.baseToken = e2 || "", this.baseModel = t2 || null, this.triggerChange();
  }
  clear() {
    this.baseToken = "", this.baseModel = null, this.triggerChange();
  }
  loadFromCookie(e2, t2 = i) {
    const s2 = cookieParse(e2 || "")[t2] || "";
    let n2 = {};
    try {
      n2 = JSON.parse(s2), (null === typeof n2 || "object" != typeof n2 || Array.isArray(n2)) && (n2 = {});
    } catch (e3) {
    }
    this.save(n2.token || "", n2.record || n2.model || null);
  }
  exportToCookie(e2, t2 = i) {
    var _a, _b;
    const s2 = { secure: true, sameSite: true, httpOnly: true, path: "/" }, n2 = getTokenPayload(this.token);
    s2.expires = (n2 == null ? void 0 : n2.exp) ? new Date(1e3 * n2.exp) : /* @__PURE__ */ new Date("1970-01-01"), e2 = Object.assign({}, s2, e2);
    const r2 = { token: this.token, record: this.record ? JSON.parse(JSON.stringify(this.record)) : null };
    let o = cookieSerialize(t2, JSON.stringify(r2), e2);
    const a = "undefined" != typeof Blob ? new Blob([o]).size : o.length;
    if (r2.record && a > 4096) {
      r2.record = { id: (_a = r2.record) == null ? void 0 : _a.id, email: (_b = r2.record) == null ? void 0 : _b.email };
      const s3 = ["collectionId", "collectionName", "verified"];
      for (const e3 in this.record) s3.includes(e3) && (r2.record[e3] = this.record[e3]);
      o = cookieSerialize(t2, JSON.stringify(r2), e2);
    }
    return o;
  }
  onChange(e2, t2 = false) {
    return this._onChangeCallbacks.push(e2), t2 && e2(this.token, this.record), () => {
      for (let t3 = this._onChangeCallbacks.length - 1; t3 >= 0; t3--) if (this._onChangeCallbacks[t3] == e2) return delete this._onChangeCallbacks[t3], void this._onChangeCallbacks.splice(t3, 1);
    };
  }
  triggerChange() {
    for (const e2 of this._onChangeCallbacks) e2 && e2(this.token, this.record);
  }
};
var LocalAuthStore = class extends BaseAuthStore {
  constructor(e2 = "pocketbase_auth") {
    super(), this.storageFallback = {}, this.storageKey = e2, this._bindStorageEvent();
  }
  get token() {
    return (this._storageGet(this.storageKey) || {}).token || "";
  }
  get record() {
    const e2 = this._storageGet(this.storageKey) || {};
    return e2.record || e2.model || null;
  }
  get model() {
    return this.record;
  }
  save(e2, t2) {
    this._storageSet(this.storageKey, { token: e2, record: t2 }), super.save(e2, t2);
  }
  clear() {
    this._storageRemove(this.storageKey), super.clear();
  }
  _storageGet(e2) {
    if (false) {
      const t2 = (void 0).localStorage.getItem(e2) || "";
      try {
        return JSON.parse(t2);
      } catch (e3) {
        return t2;
      }
    }
    return this.storageFallback[e2];
  }
  _storageSet(e2, t2) {
    if (false) {
      let s2 = t2;
      "string" != typeof t2 && (s2 = JSON.stringify(t2)), (void 0).localStorage.setItem(e2, s2);
    } else this.storageFallback[e2] = t2;
  }
  _storageRemove(e2) {
    false, delete this.storageFallback[e2];
  }
  _bindStorageEvent() {
  }
};
var BaseService = class {
  constructor(e2) {
    this.client = e2;
  }
};
var SettingsService = class extends BaseService {
  async getAll(e2) {
    return e2 = Object.assign({ method: "GET" }, e2), this.client.send("/api/settings", e2);
  }
  async update(e2, t2) {
    return t2 = Object.assign({ method: "PATCH", body: e2 }, t2), this.client.send("/api/settings", t2);
  }
  async testS3(e2 = "storage", t2) {
    return t2 = Object.assign({ method: "POST", body: { filesystem: e2 } }, t2), this.client.send("/api/settings/test/s3", t2).then((() => true));
  }
  async testEmail(e2, t2, s2, i2) {
    return i2 = Object.assign({ method: "POST", body: { email: t2, template: s2, collection: e2 } }, i2), this.client.send("/api/settings/test/email", i2).then((() => true));
  }
  async generateAppleClientSecret(e2, t2, s2, i2, n2, r2) {
    return r2 = Object.assign({ method: "POST", body: { clientId: e2, teamId: t2, keyId: s2, privateKey: i2, duration: n2 } }, r2), this.client.send("/api/settings/apple/generate-client-secret", r2);
  }
};
var n = ["requestKey", "$cancelKey", "$autoCancel", "fetch", "headers", "body", "query", "params", "cache", "credentials", "headers", "integrity", "keepalive", "method", "mode", "redirect", "referrer", "referrerPolicy", "signal", "window"];
function normalizeUnknownQueryParams(e2) {
  if (e2) {
    e2.query = e2.query || {};
    for (let t2 in e2) n.includes(t2) || (e2.query[t2] = e2[t2], delete e2[t2]);
  }
}
function serializeQueryParams(e2) {
  const t2 = [];
  for (const s2 in e2) {
    const i2 = encodeURIComponent(s2), n2 = Array.isArray(e2[s2]) ? e2[s2] : [e2[s2]];
    for (let e3 of n2) e3 = prepareQueryParamValue(e3), null !== e3 && t2.push(i2 + "=" + e3);
  }
  return t2.join("&");
}
function prepareQueryParamValue(e2) {
  return null == e2 ? null : e2 instanceof Date ? encodeURIComponent(e2.toISOString().replace("T", " ")) : "object" == typeof e2 ? encodeURIComponent(JSON.stringify(e2)) : encodeURIComponent(e2);
}
var RealtimeService = class extends BaseService {
  constructor() {
    super(...arguments), this.clientId = "", this.eventSource = null, this.subscriptions = {}, this.lastSentSubscriptions = [], this.maxConnectTimeout = 15e3, this.reconnectAttempts = 0, this.maxReconnectAttempts = 1 / 0, this.predefinedReconnectIntervals = [200, 300, 500, 1e3, 1200, 1500, 2e3], this.pendingConnects = [], this.pendingSubmits = [], this.isProcessingPendingSubmits = false;
  }
  get isConnected() {
    return !!this.eventSource && !!this.clientId && !this.pendingConnects.length;
  }
  async subscribe(e2, t2, s2) {
    var _a;
    if (!e2) throw new Error("topic must be set.");
    let i2 = e2;
    if (s2) {
      normalizeUnknownQueryParams(s2 = Object.assign({}, s2));
      const e3 = "options=" + encodeURIComponent(JSON.stringify({ query: s2.query, headers: s2.headers }));
      i2 += (i2.includes("?") ? "&" : "?") + e3;
    }
    const listener = function(e3) {
      const s3 = e3;
      let i3;
      try {
        i3 = JSON.parse(s3 == null ? void 0 : s3.data);
      } catch (e4) {
      }
      t2(i3 || {});
    };
    return this.subscriptions[i2] || (this.subscriptions[i2] = []), this.subscriptions[i2].push(listener), this.isConnected ? 1 === this.subscriptions[i2].length ? await this.submitSubscriptions() : (_a = this.eventSource) == null ? void 0 : _a.addEventListener(i2, listener) : await this.connect(), async () => this.unsubscribeByTopicAndListener(e2, listener);
  }
  async unsubscribe(e2) {
    var _a;
    if (e2) {
      const t2 = this.getSubscriptionsByTopic(e2);
      for (let e3 in t2) if (this.hasSubscriptionListeners(e3)) {
        for (let t3 of this.subscriptions[e3]) (_a = this.eventSource) == null ? void 0 : _a.removeEventListener(e3, t3);
        delete this.subscriptions[e3];
      }
    } else this.subscriptions = {};
    await this.submitSubscriptions();
  }
  async unsubscribeByPrefix(e2) {
    var _a;
    let t2 = false;
    for (let s2 in this.subscriptions) if ((s2 + "?").startsWith(e2)) {
      t2 = true;
      for (let e3 of this.subscriptions[s2]) (_a = this.eventSource) == null ? void 0 : _a.removeEventListener(s2, e3);
      delete this.subscriptions[s2];
    }
    t2 && await this.submitSubscriptions();
  }
  async unsubscribeByTopicAndListener(e2, t2) {
    var _a;
    const s2 = this.getSubscriptionsByTopic(e2);
    for (let e3 in s2) {
      if (!Array.isArray(this.subscriptions[e3]) || !this.subscriptions[e3].length) continue;
      let s3 = false;
      for (let i2 = this.subscriptions[e3].length - 1; i2 >= 0; i2--) this.subscriptions[e3][i2] === t2 && (s3 = true, delete this.subscriptions[e3][i2], this.subscriptions[e3].splice(i2, 1), (_a = this.eventSource) == null ? void 0 : _a.removeEventListener(e3, t2));
      s3 && (this.subscriptions[e3].length || delete this.subscriptions[e3]);
    }
    await this.submitSubscriptions();
  }
  hasSubscriptionListeners(e2) {
    var _a, _b;
    if (this.subscriptions = this.subscriptions || {}, e2) return !!((_a = this.subscriptions[e2]) == null ? void 0 : _a.length);
    for (let e3 in this.subscriptions) if ((_b = this.subscriptions[e3]) == null ? void 0 : _b.length) return true;
    return false;
  }
  async submitSubscriptions() {
    return new Promise(((e2, t2) => {
      this.pendingSubmits.push({ resolve: e2, reject: t2 }), 1 == this.pendingSubmits.length && queueMicrotask((() => this.finalizePendingSubscriptions()));
    }));
  }
  async finalizePendingSubscriptions() {
    if (this.isProcessingPendingSubmits || !this.pendingSubmits.length) return;
    const e2 = this.pendingSubmits.slice();
    this.pendingSubmits = [], this.isProcessingPendingSubmits = true;
    try {
      await this.sendSubscriptions();
      for (let t2 of e2) t2.resolve();
    } catch (t2) {
      for (let s2 of e2) t2 ? s2.reject(t2) : s2.resolve();
    } finally {
      this.isProcessingPendingSubmits = false, this.pendingSubmits.length > 0 && await this.finalizePendingSubscriptions();
    }
  }
  getSubscriptionsCancelKey() {
    return "realtime_" + this.clientId;
  }
  getSubscriptionsByTopic(e2) {
    const t2 = {};
    e2 = e2.includes("?") ? e2 : e2 + "?";
    for (let s2 in this.subscriptions) (s2 + "?").startsWith(e2) && (t2[s2] = this.subscriptions[s2]);
    return t2;
  }
  getNonEmptySubscriptionKeys() {
    const e2 = [];
    for (let t2 in this.subscriptions) this.subscriptions[t2].length && e2.push(t2);
    return e2;
  }
  hasUnsentSubscriptions() {
    const e2 = this.getNonEmptySubscriptionKeys();
    if (e2.length != this.lastSentSubscriptions.length) return true;
    for (const t2 of e2) if (!this.lastSentSubscriptions.includes(t2)) return true;
    return false;
  }
  async sendSubscriptions() {
    if (this.clientId) {
      if (!this.hasSubscriptionListeners()) return this.disconnect();
      if (this.hasUnsentSubscriptions()) return this.addAllSubscriptionListeners(), this.lastSentSubscriptions = this.getNonEmptySubscriptionKeys(), this.client.send("/api/realtime", { method: "POST", body: { clientId: this.clientId, subscriptions: this.lastSentSubscriptions }, requestKey: this.getSubscriptionsCancelKey() }).catch(((e2) => {
        if (!(e2 == null ? void 0 : e2.isAbort)) throw e2;
      }));
    }
  }
  addAllSubscriptionListeners() {
    if (this.eventSource) {
      this.removeAllSubscriptionListeners();
      for (let e2 in this.subscriptions) for (let t2 of this.subscriptions[e2]) this.eventSource.addEventListener(e2, t2);
    }
  }
  removeAllSubscriptionListeners() {
    if (this.eventSource) for (let e2 in this.subscriptions) for (let t2 of this.subscriptions[e2]) this.eventSource.removeEventListener(e2, t2);
  }
  async connect() {
    if (!(this.reconnectAttempts > 0)) return new Promise(((e2, t2) => {
      this.pendingConnects.push({ resolve: e2, reject: t2 }), 1 == this.pendingConnects.length && queueMicrotask((() => this.initConnect()));
    }));
  }
  initConnect() {
    this.disconnect(true), clearTimeout(this.connectTimeoutId), this.connectTimeoutId = setTimeout((() => {
      this.connectErrorHandler(new Error("EventSource connect took too long."));
    }), this.maxConnectTimeout), this.eventSource = new EventSource(this.client.buildURL("/api/realtime")), this.eventSource.onerror = (e2) => {
      this.connectErrorHandler(new Error("Failed to establish realtime connection."));
    }, this.eventSource.addEventListener("PB_CONNECT", ((e2) => {
      const t2 = e2;
      this.clientId = t2 == null ? void 0 : t2.lastEventId, this.lastSentSubscriptions = [], this.submitSubscriptions().then((async () => {
        let t3 = 3;
        for (; this.hasUnsentSubscriptions() && t3 > 0; ) t3--, await this.submitSubscriptions();
        for (let e3 of this.pendingConnects) e3.resolve();
        this.pendingConnects = [], this.reconnectAttempts = 0, clearTimeout(this.reconnectTimeoutId), clearTimeout(this.connectTimeoutId);
        const s2 = this.getSubscriptionsByTopic("PB_CONNECT");
        for (let t4 in s2) for (let i2 of s2[t4]) i2(e2);
        this.hasUnsentSubscriptions() && await this.submitSubscriptions();
      })).catch(((e3) => {
        this.clientId = "", this.lastSentSubscriptions = [], this.connectErrorHandler(e3);
      }));
    }));
  }
  connectErrorHandler(e2) {
    if (clearTimeout(this.connectTimeoutId), clearTimeout(this.reconnectTimeoutId), !this.clientId && !this.reconnectAttempts || this.reconnectAttempts > this.maxReconnectAttempts) {
      for (let t3 of this.pendingConnects) t3.reject(new ClientResponseError(e2));
      return this.pendingConnects = [], void this.disconnect();
    }
    this.disconnect(true);
    const t2 = this.predefinedReconnectIntervals[this.reconnectAttempts] || this.predefinedReconnectIntervals[this.predefinedReconnectIntervals.length - 1];
    this.reconnectAttempts++, this.reconnectTimeoutId = setTimeout((() => {
      this.initConnect();
    }), t2);
  }
  disconnect(e2 = false) {
    var _a;
    if (this.clientId && this.onDisconnect && this.onDisconnect(Object.keys(this.subscriptions)), clearTimeout(this.connectTimeoutId), clearTimeout(this.reconnectTimeoutId), this.removeAllSubscriptionListeners(), this.client.cancelRequest(this.getSubscriptionsCancelKey()), (_a = this.eventSource) == null ? void 0 : _a.close(), this.eventSource = null, this.clientId = "", this.lastSentSubscriptions = [], !e2) {
      this.reconnectAttempts = 0;
      for (let e3 of this.pendingConnects) e3.resolve();
      this.pendingConnects = [];
    }
  }
};
var CrudService = class extends BaseService {
  decode(e2) {
    return e2;
  }
  async getFullList(e2, t2) {
    if ("number" == typeof e2) return this._getFullList(e2, t2);
    let s2 = 1e3;
    return (t2 = Object.assign({}, e2, t2)).batch && (s2 = t2.batch, delete t2.batch), this._getFullList(s2, t2);
  }
  async getList(e2 = 1, t2 = 30, s2) {
    return (s2 = Object.assign({ method: "GET" }, s2)).query = Object.assign({ page: e2, perPage: t2 }, s2.query), this.client.send(this.baseCrudPath, s2).then(((e3) => {
      var _a;
      return e3.items = ((_a = e3.items) == null ? void 0 : _a.map(((e4) => this.decode(e4)))) || [], e3;
    }));
  }
  async getFirstListItem(e2, t2) {
    return (t2 = Object.assign({ requestKey: "one_by_filter_" + this.baseCrudPath + "_" + e2 }, t2)).query = Object.assign({ filter: e2, skipTotal: 1 }, t2.query), this.getList(1, 1, t2).then(((e3) => {
      var _a;
      if (!((_a = e3 == null ? void 0 : e3.items) == null ? void 0 : _a.length)) throw new ClientResponseError({ status: 404, response: { code: 404, message: "The requested resource wasn't found.", data: {} } });
      return e3.items[0];
    }));
  }
  async getOne(e2, t2) {
    if (!e2) throw new ClientResponseError({ url: this.client.buildURL(this.baseCrudPath + "/"), status: 404, response: { code: 404, message: "Missing required record id.", data: {} } });
    return t2 = Object.assign({ method: "GET" }, t2), this.client.send(this.baseCrudPath + "/" + encodeURIComponent(e2), t2).then(((e3) => this.decode(e3)));
  }
  async create(e2, t2) {
    return t2 = Object.assign({ method: "POST", body: e2 }, t2), this.client.send(this.baseCrudPath, t2).then(((e3) => this.decode(e3)));
  }
  async update(e2, t2, s2) {
    return s2 = Object.assign({ method: "PATCH", body: t2 }, s2), this.client.send(this.baseCrudPath + "/" + encodeURIComponent(e2), s2).then(((e3) => this.decode(e3)));
  }
  async delete(e2, t2) {
    return t2 = Object.assign({ method: "DELETE" }, t2), this.client.send(this.baseCrudPath + "/" + encodeURIComponent(e2), t2).then((() => true));
  }
  _getFullList(e2 = 1e3, t2) {
    (t2 = t2 || {}).query = Object.assign({ skipTotal: 1 }, t2.query);
    let s2 = [], request = async (i2) => this.getList(i2, e2 || 1e3, t2).then(((e3) => {
      const t3 = e3.items;
      return s2 = s2.concat(t3), t3.length == e3.perPage ? request(i2 + 1) : s2;
    }));
    return request(1);
  }
};
function normalizeLegacyOptionsArgs(e2, t2, s2, i2) {
  const n2 = void 0 !== i2;
  return n2 || void 0 !== s2 ? n2 ? (console.warn(e2), t2.body = Object.assign({}, t2.body, s2), t2.query = Object.assign({}, t2.query, i2), t2) : Object.assign(t2, s2) : t2;
}
function resetAutoRefresh(e2) {
  var _a;
  (_a = e2._resetAutoRefresh) == null ? void 0 : _a.call(e2);
}
var RecordService = class extends CrudService {
  constructor(e2, t2) {
    super(e2), this.collectionIdOrName = t2;
  }
  get baseCrudPath() {
    return this.baseCollectionPath + "/records";
  }
  get baseCollectionPath() {
    return "/api/collections/" + encodeURIComponent(this.collectionIdOrName);
  }
  get isSuperusers() {
    return "_superusers" == this.collectionIdOrName || "_pbc_2773867675" == this.collectionIdOrName;
  }
  async subscribe(e2, t2, s2) {
    if (!e2) throw new Error("Missing topic.");
    if (!t2) throw new Error("Missing subscription callback.");
    return this.client.realtime.subscribe(this.collectionIdOrName + "/" + e2, t2, s2);
  }
  async unsubscribe(e2) {
    return e2 ? this.client.realtime.unsubscribe(this.collectionIdOrName + "/" + e2) : this.client.realtime.unsubscribeByPrefix(this.collectionIdOrName);
  }
  async getFullList(e2, t2) {
    if ("number" == typeof e2) return super.getFullList(e2, t2);
    const s2 = Object.assign({}, e2, t2);
    return super.getFullList(s2);
  }
  async getList(e2 = 1, t2 = 30, s2) {
    return super.getList(e2, t2, s2);
  }
  async getFirstListItem(e2, t2) {
    return super.getFirstListItem(e2, t2);
  }
  async getOne(e2, t2) {
    return super.getOne(e2, t2);
  }
  async create(e2, t2) {
    return super.create(e2, t2);
  }
  async update(e2, t2, s2) {
    return super.update(e2, t2, s2).then(((e3) => {
      var _a, _b, _c;
      if (((_a = this.client.authStore.record) == null ? void 0 : _a.id) === (e3 == null ? void 0 : e3.id) && (((_b = this.client.authStore.record) == null ? void 0 : _b.collectionId) === this.collectionIdOrName || ((_c = this.client.authStore.record) == null ? void 0 : _c.collectionName) === this.collectionIdOrName)) {
        let t3 = Object.assign({}, this.client.authStore.record.expand), s3 = Object.assign({}, this.client.authStore.record, e3);
        t3 && (s3.expand = Object.assign(t3, e3.expand)), this.client.authStore.save(this.client.authStore.token, s3);
      }
      return e3;
    }));
  }
  async delete(e2, t2) {
    return super.delete(e2, t2).then(((t3) => {
      var _a, _b, _c;
      return !t3 || ((_a = this.client.authStore.record) == null ? void 0 : _a.id) !== e2 || ((_b = this.client.authStore.record) == null ? void 0 : _b.collectionId) !== this.collectionIdOrName && ((_c = this.client.authStore.record) == null ? void 0 : _c.collectionName) !== this.collectionIdOrName || this.client.authStore.clear(), t3;
    }));
  }
  authResponse(e2) {
    const t2 = this.decode((e2 == null ? void 0 : e2.record) || {});
    return this.client.authStore.save(e2 == null ? void 0 : e2.token, t2), Object.assign({}, e2, { token: (e2 == null ? void 0 : e2.token) || "", record: t2 });
  }
  async listAuthMethods(e2) {
    return e2 = Object.assign({ method: "GET", fields: "mfa,otp,password,oauth2" }, e2), this.client.send(this.baseCollectionPath + "/auth-methods", e2);
  }
  async authWithPassword(e2, t2, s2) {
    let i2;
    s2 = Object.assign({ method: "POST", body: { identity: e2, password: t2 } }, s2), this.isSuperusers && (i2 = s2.autoRefreshThreshold, delete s2.autoRefreshThreshold, s2.autoRefresh || resetAutoRefresh(this.client));
    let n2 = await this.client.send(this.baseCollectionPath + "/auth-with-password", s2);
    return n2 = this.authResponse(n2), i2 && this.isSuperusers && (function registerAutoRefresh(e3, t3, s3, i3) {
      resetAutoRefresh(e3);
      const n3 = e3.beforeSend, r2 = e3.authStore.record, o = e3.authStore.onChange(((t4, s4) => {
        (!t4 || (s4 == null ? void 0 : s4.id) != (r2 == null ? void 0 : r2.id) || ((s4 == null ? void 0 : s4.collectionId) || (r2 == null ? void 0 : r2.collectionId)) && (s4 == null ? void 0 : s4.collectionId) != (r2 == null ? void 0 : r2.collectionId)) && resetAutoRefresh(e3);
      }));
      e3._resetAutoRefresh = function() {
        o(), e3.beforeSend = n3, delete e3._resetAutoRefresh;
      }, e3.beforeSend = async (r3, o2) => {
        var _a;
        const a = e3.authStore.token;
        if ((_a = o2.query) == null ? void 0 : _a.autoRefresh) return n3 ? n3(r3, o2) : { url: r3, sendOptions: o2 };
        let c = e3.authStore.isValid;
        if (c && isTokenExpired(e3.authStore.token, t3)) try {
          await s3();
        } catch (e4) {
          c = false;
        }
        c || await i3();
        const l = o2.headers || {};
        for (let t4 in l) if ("authorization" == t4.toLowerCase() && a == l[t4] && e3.authStore.token) {
          l[t4] = e3.authStore.token;
          break;
        }
        return o2.headers = l, n3 ? n3(r3, o2) : { url: r3, sendOptions: o2 };
      };
    })(this.client, i2, (() => this.authRefresh({ autoRefresh: true })), (() => this.authWithPassword(e2, t2, Object.assign({ autoRefresh: true }, s2)))), n2;
  }
  async authWithOAuth2Code(e2, t2, s2, i2, n2, r2, o) {
    let a = { method: "POST", body: { provider: e2, code: t2, codeVerifier: s2, redirectURL: i2, createData: n2 } };
    return a = normalizeLegacyOptionsArgs("This form of authWithOAuth2Code(provider, code, codeVerifier, redirectURL, createData?, body?, query?) is deprecated. Consider replacing it with authWithOAuth2Code(provider, code, codeVerifier, redirectURL, createData?, options?).", a, r2, o), this.client.send(this.baseCollectionPath + "/auth-with-oauth2", a).then(((e3) => this.authResponse(e3)));
  }
  authWithOAuth2(...e2) {
    if (e2.length > 1 || "string" == typeof (e2 == null ? void 0 : e2[0])) return console.warn("PocketBase: This form of authWithOAuth2() is deprecated and may get removed in the future. Please replace with authWithOAuth2Code() OR use the authWithOAuth2() realtime form as shown in https://pocketbase.io/docs/authentication/#oauth2-integration."), this.authWithOAuth2Code((e2 == null ? void 0 : e2[0]) || "", (e2 == null ? void 0 : e2[1]) || "", (e2 == null ? void 0 : e2[2]) || "", (e2 == null ? void 0 : e2[3]) || "", (e2 == null ? void 0 : e2[4]) || {}, (e2 == null ? void 0 : e2[5]) || {}, (e2 == null ? void 0 : e2[6]) || {});
    const t2 = (e2 == null ? void 0 : e2[0]) || {};
    let s2 = null;
    t2.urlCallback || (s2 = openBrowserPopup(void 0));
    const i2 = new RealtimeService(this.client);
    function cleanup() {
      s2 == null ? void 0 : s2.close(), i2.unsubscribe();
    }
    const n2 = {}, r2 = t2.requestKey;
    return r2 && (n2.requestKey = r2), this.listAuthMethods(n2).then(((e3) => {
      const n3 = e3.oauth2.providers.find(((e4) => e4.name === t2.provider));
      if (!n3) throw new ClientResponseError(new Error(`Missing or invalid provider "${t2.provider}".`));
      const o = this.client.buildURL("/api/oauth2-redirect");
      return new Promise((async (e4, a) => {
        var _a, _b, _c;
        const c = r2 ? (_a = this.client.cancelControllers) == null ? void 0 : _a[r2] : void 0;
        c && (c.signal.onabort = () => {
          cleanup(), a(new ClientResponseError({ isAbort: true, message: "manually cancelled" }));
        }), i2.onDisconnect = (e5) => {
          e5.length && a && (cleanup(), a(new ClientResponseError(new Error("realtime connection interrupted"))));
        };
        try {
          await i2.subscribe("@oauth2", (async (s3) => {
            var _a2;
            const r4 = i2.clientId;
            try {
              if (!s3.state || r4 !== s3.state) throw new Error("State parameters don't match.");
              if (s3.error || !s3.code) throw new Error("OAuth2 redirect error or missing code: " + s3.error);
              const i3 = Object.assign({}, t2);
              delete i3.provider, delete i3.scopes, delete i3.createData, delete i3.urlCallback, ((_a2 = c == null ? void 0 : c.signal) == null ? void 0 : _a2.onabort) && (c.signal.onabort = null);
              const a2 = await this.authWithOAuth2Code(n3.name, s3.code, n3.codeVerifier, o, t2.createData, i3);
              e4(a2);
            } catch (e5) {
              a(new ClientResponseError(e5));
            }
            cleanup();
          }));
          const r3 = { state: i2.clientId };
          ((_b = t2.scopes) == null ? void 0 : _b.length) && (r3.scope = t2.scopes.join(" "));
          const l = this._replaceQueryParams(n3.authURL + o, r3);
          let h = t2.urlCallback || function(e5) {
            s2 ? s2.location.href = e5 : s2 = openBrowserPopup(e5);
          };
          await h(l);
        } catch (e5) {
          ((_c = c == null ? void 0 : c.signal) == null ? void 0 : _c.onabort) && (c.signal.onabort = null), cleanup(), a(new ClientResponseError(e5));
        }
      }));
    })).catch(((e3) => {
      throw cleanup(), e3;
    }));
  }
  async authRefresh(e2, t2) {
    let s2 = { method: "POST" };
    return s2 = normalizeLegacyOptionsArgs("This form of authRefresh(body?, query?) is deprecated. Consider replacing it with authRefresh(options?).", s2, e2, t2), this.client.send(this.baseCollectionPath + "/auth-refresh", s2).then(((e3) => this.authResponse(e3)));
  }
  async requestPasswordReset(e2, t2, s2) {
    let i2 = { method: "POST", body: { email: e2 } };
    return i2 = normalizeLegacyOptionsArgs("This form of requestPasswordReset(email, body?, query?) is deprecated. Consider replacing it with requestPasswordReset(email, options?).", i2, t2, s2), this.client.send(this.baseCollectionPath + "/request-password-reset", i2).then((() => true));
  }
  async confirmPasswordReset(e2, t2, s2, i2, n2) {
    let r2 = { method: "POST", body: { token: e2, password: t2, passwordConfirm: s2 } };
    return r2 = normalizeLegacyOptionsArgs("This form of confirmPasswordReset(token, password, passwordConfirm, body?, query?) is deprecated. Consider replacing it with confirmPasswordReset(token, password, passwordConfirm, options?).", r2, i2, n2), this.client.send(this.baseCollectionPath + "/confirm-password-reset", r2).then((() => true));
  }
  async requestVerification(e2, t2, s2) {
    let i2 = { method: "POST", body: { email: e2 } };
    return i2 = normalizeLegacyOptionsArgs("This form of requestVerification(email, body?, query?) is deprecated. Consider replacing it with requestVerification(email, options?).", i2, t2, s2), this.client.send(this.baseCollectionPath + "/request-verification", i2).then((() => true));
  }
  async confirmVerification(e2, t2, s2) {
    let i2 = { method: "POST", body: { token: e2 } };
    return i2 = normalizeLegacyOptionsArgs("This form of confirmVerification(token, body?, query?) is deprecated. Consider replacing it with confirmVerification(token, options?).", i2, t2, s2), this.client.send(this.baseCollectionPath + "/confirm-verification", i2).then((() => {
      const t3 = getTokenPayload(e2), s3 = this.client.authStore.record;
      return s3 && !s3.verified && s3.id === t3.id && s3.collectionId === t3.collectionId && (s3.verified = true, this.client.authStore.save(this.client.authStore.token, s3)), true;
    }));
  }
  async requestEmailChange(e2, t2, s2) {
    let i2 = { method: "POST", body: { newEmail: e2 } };
    return i2 = normalizeLegacyOptionsArgs("This form of requestEmailChange(newEmail, body?, query?) is deprecated. Consider replacing it with requestEmailChange(newEmail, options?).", i2, t2, s2), this.client.send(this.baseCollectionPath + "/request-email-change", i2).then((() => true));
  }
  async confirmEmailChange(e2, t2, s2, i2) {
    let n2 = { method: "POST", body: { token: e2, password: t2 } };
    return n2 = normalizeLegacyOptionsArgs("This form of confirmEmailChange(token, password, body?, query?) is deprecated. Consider replacing it with confirmEmailChange(token, password, options?).", n2, s2, i2), this.client.send(this.baseCollectionPath + "/confirm-email-change", n2).then((() => {
      const t3 = getTokenPayload(e2), s3 = this.client.authStore.record;
      return s3 && s3.id === t3.id && s3.collectionId === t3.collectionId && this.client.authStore.clear(), true;
    }));
  }
  async listExternalAuths(e2, t2) {
    return this.client.collection("_externalAuths").getFullList(Object.assign({}, t2, { filter: this.client.filter("recordRef = {:id}", { id: e2 }) }));
  }
  async unlinkExternalAuth(e2, t2, s2) {
    const i2 = await this.client.collection("_externalAuths").getFirstListItem(this.client.filter("recordRef = {:recordId} && provider = {:provider}", { recordId: e2, provider: t2 }));
    return this.client.collection("_externalAuths").delete(i2.id, s2).then((() => true));
  }
  async requestOTP(e2, t2) {
    return t2 = Object.assign({ method: "POST", body: { email: e2 } }, t2), this.client.send(this.baseCollectionPath + "/request-otp", t2);
  }
  async authWithOTP(e2, t2, s2) {
    return s2 = Object.assign({ method: "POST", body: { otpId: e2, password: t2 } }, s2), this.client.send(this.baseCollectionPath + "/auth-with-otp", s2).then(((e3) => this.authResponse(e3)));
  }
  async impersonate(e2, t2, s2) {
    (s2 = Object.assign({ method: "POST", body: { duration: t2 } }, s2)).headers = s2.headers || {}, s2.headers.Authorization || (s2.headers.Authorization = this.client.authStore.token);
    const i2 = new Client(this.client.baseURL, new BaseAuthStore(), this.client.lang), n2 = await i2.send(this.baseCollectionPath + "/impersonate/" + encodeURIComponent(e2), s2);
    return i2.authStore.save(n2 == null ? void 0 : n2.token, this.decode((n2 == null ? void 0 : n2.record) || {})), i2;
  }
  _replaceQueryParams(e2, t2 = {}) {
    let s2 = e2, i2 = "";
    e2.indexOf("?") >= 0 && (s2 = e2.substring(0, e2.indexOf("?")), i2 = e2.substring(e2.indexOf("?") + 1));
    const n2 = {}, r2 = i2.split("&");
    for (const e3 of r2) {
      if ("" == e3) continue;
      const t3 = e3.split("=");
      n2[decodeURIComponent(t3[0].replace(/\+/g, " "))] = decodeURIComponent((t3[1] || "").replace(/\+/g, " "));
    }
    for (let e3 in t2) t2.hasOwnProperty(e3) && (null == t2[e3] ? delete n2[e3] : n2[e3] = t2[e3]);
    i2 = "";
    for (let e3 in n2) n2.hasOwnProperty(e3) && ("" != i2 && (i2 += "&"), i2 += encodeURIComponent(e3.replace(/%20/g, "+")) + "=" + encodeURIComponent(n2[e3].replace(/%20/g, "+")));
    return "" != i2 ? s2 + "?" + i2 : s2;
  }
};
function openBrowserPopup(e2) {
  if (true) throw new ClientResponseError(new Error("Not in a browser context - please pass a custom urlCallback function."));
  let t2 = 1024, s2 = 768, i2 = (void 0).innerWidth, n2 = (void 0).innerHeight;
  t2 = t2 > i2 ? i2 : t2, s2 = s2 > n2 ? n2 : s2;
  let r2 = i2 / 2 - t2 / 2, o = n2 / 2 - s2 / 2;
  return (void 0).open(e2, "popup_window", "width=" + t2 + ",height=" + s2 + ",top=" + o + ",left=" + r2 + ",resizable,menubar=no");
}
var CollectionService = class extends CrudService {
  get baseCrudPath() {
    return "/api/collections";
  }
  async import(e2, t2 = false, s2) {
    return s2 = Object.assign({ method: "PUT", body: { collections: e2, deleteMissing: t2 } }, s2), this.client.send(this.baseCrudPath + "/import", s2).then((() => true));
  }
  async truncate(e2, t2) {
    return t2 = Object.assign({ method: "DELETE" }, t2), this.client.send(this.baseCrudPath + "/" + encodeURIComponent(e2) + "/truncate", t2).then((() => true));
  }
  async getScaffolds(e2) {
    return e2 = Object.assign({ method: "GET" }, e2), this.client.send(this.baseCrudPath + "/meta/scaffolds", e2);
  }
  async getAllOAuth2Providers(e2) {
    return e2 = Object.assign({ method: "GET" }, e2), this.client.send(this.baseCrudPath + "/meta/oauth2-providers", e2);
  }
  async dryRunViewQuery(e2, t2) {
    return t2 = Object.assign({ method: "POST", body: { query: e2 } }, t2), this.client.send(this.baseCrudPath + "/meta/dry-run-view", t2);
  }
};
var LogService = class extends BaseService {
  async getList(e2 = 1, t2 = 30, s2) {
    return (s2 = Object.assign({ method: "GET" }, s2)).query = Object.assign({ page: e2, perPage: t2 }, s2.query), this.client.send("/api/logs", s2);
  }
  async getOne(e2, t2) {
    if (!e2) throw new ClientResponseError({ url: this.client.buildURL("/api/logs/"), status: 404, response: { code: 404, message: "Missing required log id.", data: {} } });
    return t2 = Object.assign({ method: "GET" }, t2), this.client.send("/api/logs/" + encodeURIComponent(e2), t2);
  }
  async getStats(e2) {
    return e2 = Object.assign({ method: "GET" }, e2), this.client.send("/api/logs/stats", e2);
  }
  async truncate(e2) {
    return e2 = Object.assign({ method: "DELETE" }, e2), this.client.send("/api/logs", e2).then((() => true));
  }
};
var HealthService = class extends BaseService {
  async check(e2) {
    return e2 = Object.assign({ method: "GET" }, e2), this.client.send("/api/health", e2);
  }
};
var FileService = class extends BaseService {
  getUrl(e2, t2, s2 = {}) {
    return console.warn("Please replace pb.files.getUrl() with pb.files.getURL()"), this.getURL(e2, t2, s2);
  }
  getURL(e2, t2, s2 = {}) {
    if (!t2 || !(e2 == null ? void 0 : e2.id) || !(e2 == null ? void 0 : e2.collectionId) && !(e2 == null ? void 0 : e2.collectionName)) return "";
    const i2 = [];
    i2.push("api"), i2.push("files"), i2.push(encodeURIComponent(e2.collectionId || e2.collectionName)), i2.push(encodeURIComponent(e2.id)), i2.push(encodeURIComponent(t2));
    let n2 = this.client.buildURL(i2.join("/"));
    false === s2.download && delete s2.download;
    const r2 = serializeQueryParams(s2);
    return r2 && (n2 += (n2.includes("?") ? "&" : "?") + r2), n2;
  }
  async getToken(e2) {
    return e2 = Object.assign({ method: "POST" }, e2), this.client.send("/api/files/token", e2).then(((e3) => (e3 == null ? void 0 : e3.token) || ""));
  }
};
var BackupService = class extends BaseService {
  async getFullList(e2) {
    return e2 = Object.assign({ method: "GET" }, e2), this.client.send("/api/backups", e2);
  }
  async create(e2, t2) {
    return t2 = Object.assign({ method: "POST", body: { name: e2 } }, t2), this.client.send("/api/backups", t2).then((() => true));
  }
  async upload(e2, t2) {
    return t2 = Object.assign({ method: "POST", body: e2 }, t2), this.client.send("/api/backups/upload", t2).then((() => true));
  }
  async delete(e2, t2) {
    return t2 = Object.assign({ method: "DELETE" }, t2), this.client.send(`/api/backups/${encodeURIComponent(e2)}`, t2).then((() => true));
  }
  async restore(e2, t2) {
    return t2 = Object.assign({ method: "POST" }, t2), this.client.send(`/api/backups/${encodeURIComponent(e2)}/restore`, t2).then((() => true));
  }
  getDownloadUrl(e2, t2) {
    return console.warn("Please replace pb.backups.getDownloadUrl() with pb.backups.getDownloadURL()"), this.getDownloadURL(e2, t2);
  }
  getDownloadURL(e2, t2) {
    return this.client.buildURL(`/api/backups/${encodeURIComponent(t2)}?token=${encodeURIComponent(e2)}`);
  }
};
var CronService = class extends BaseService {
  async getFullList(e2) {
    return e2 = Object.assign({ method: "GET" }, e2), this.client.send("/api/crons", e2);
  }
  async run(e2, t2) {
    return t2 = Object.assign({ method: "POST" }, t2), this.client.send(`/api/crons/${encodeURIComponent(e2)}`, t2).then((() => true));
  }
};
var SQLService = class extends BaseService {
  async run(e2, t2) {
    return t2 = Object.assign({ method: "POST", body: { query: e2 } }, t2), this.client.send("/api/sql", t2);
  }
};
function isFile(e2) {
  return "undefined" != typeof Blob && e2 instanceof Blob || "undefined" != typeof File && e2 instanceof File || null !== e2 && "object" == typeof e2 && e2.uri && ("undefined" != typeof navigator && "ReactNative" === navigator.product || "undefined" != typeof global && global.HermesInternal);
}
function isFormData(e2) {
  var _a;
  return e2 && ("FormData" === ((_a = e2.constructor) == null ? void 0 : _a.name) || "undefined" != typeof FormData && e2 instanceof FormData);
}
function hasFileField(e2) {
  for (const t2 in e2) {
    const s2 = Array.isArray(e2[t2]) ? e2[t2] : [e2[t2]];
    for (const e3 of s2) if (isFile(e3)) return true;
  }
  return false;
}
var r = /^[\-\.\d]+$/;
function inferFormDataValue(e2) {
  if ("string" != typeof e2) return e2;
  if ("true" == e2) return true;
  if ("false" == e2) return false;
  if (("-" === e2[0] || e2[0] >= "0" && e2[0] <= "9") && r.test(e2)) {
    let t2 = +e2;
    if ("" + t2 === e2) return t2;
  }
  return e2;
}
var BatchService = class extends BaseService {
  constructor() {
    super(...arguments), this.requests = [], this.subs = {};
  }
  collection(e2) {
    return this.subs[e2] || (this.subs[e2] = new SubBatchService(this.requests, e2)), this.subs[e2];
  }
  async send(e2) {
    const t2 = new FormData(), s2 = [];
    for (let e3 = 0; e3 < this.requests.length; e3++) {
      const i2 = this.requests[e3];
      if (s2.push({ method: i2.method, url: i2.url, headers: i2.headers, body: i2.json }), i2.files) for (let s3 in i2.files) {
        const n2 = i2.files[s3] || [];
        for (let i3 of n2) t2.append("requests." + e3 + "." + s3, i3);
      }
    }
    return t2.append("@jsonPayload", JSON.stringify({ requests: s2 })), e2 = Object.assign({ method: "POST", body: t2 }, e2), this.client.send("/api/batch", e2);
  }
};
var SubBatchService = class {
  constructor(e2, t2) {
    this.requests = [], this.requests = e2, this.collectionIdOrName = t2;
  }
  upsert(e2, t2) {
    t2 = Object.assign({ body: e2 || {} }, t2);
    const s2 = { method: "PUT", url: "/api/collections/" + encodeURIComponent(this.collectionIdOrName) + "/records" };
    this.prepareRequest(s2, t2), this.requests.push(s2);
  }
  create(e2, t2) {
    t2 = Object.assign({ body: e2 || {} }, t2);
    const s2 = { method: "POST", url: "/api/collections/" + encodeURIComponent(this.collectionIdOrName) + "/records" };
    this.prepareRequest(s2, t2), this.requests.push(s2);
  }
  update(e2, t2, s2) {
    s2 = Object.assign({ body: t2 || {} }, s2);
    const i2 = { method: "PATCH", url: "/api/collections/" + encodeURIComponent(this.collectionIdOrName) + "/records/" + encodeURIComponent(e2) };
    this.prepareRequest(i2, s2), this.requests.push(i2);
  }
  delete(e2, t2) {
    t2 = Object.assign({}, t2);
    const s2 = { method: "DELETE", url: "/api/collections/" + encodeURIComponent(this.collectionIdOrName) + "/records/" + encodeURIComponent(e2) };
    this.prepareRequest(s2, t2), this.requests.push(s2);
  }
  prepareRequest(e2, t2) {
    if (normalizeUnknownQueryParams(t2), e2.headers = t2.headers, e2.json = {}, e2.files = {}, void 0 !== t2.query) {
      const s3 = serializeQueryParams(t2.query);
      s3 && (e2.url += (e2.url.includes("?") ? "&" : "?") + s3);
    }
    let s2 = t2.body;
    isFormData(s2) && (s2 = (function convertFormDataToObject(e3) {
      let t3 = {};
      return e3.forEach(((e4, s3) => {
        if ("@jsonPayload" === s3 && "string" == typeof e4) try {
          let s4 = JSON.parse(e4);
          Object.assign(t3, s4);
        } catch (e5) {
          console.warn("@jsonPayload error:", e5);
        }
        else void 0 !== t3[s3] ? (Array.isArray(t3[s3]) || (t3[s3] = [t3[s3]]), t3[s3].push(inferFormDataValue(e4))) : t3[s3] = inferFormDataValue(e4);
      })), t3;
    })(s2));
    for (const t3 in s2) {
      const i2 = s2[t3];
      if (isFile(i2)) e2.files[t3] = e2.files[t3] || [], e2.files[t3].push(i2);
      else if (Array.isArray(i2)) {
        const s3 = [], n2 = [];
        for (const e3 of i2) isFile(e3) ? s3.push(e3) : n2.push(e3);
        if (s3.length > 0 && s3.length == i2.length) {
          e2.files[t3] = e2.files[t3] || [];
          for (let i3 of s3) e2.files[t3].push(i3);
        } else if (e2.json[t3] = n2, s3.length > 0) {
          let i3 = t3;
          t3.startsWith("+") || t3.endsWith("+") || (i3 += "+"), e2.files[i3] = e2.files[i3] || [];
          for (let t4 of s3) e2.files[i3].push(t4);
        }
      } else e2.json[t3] = i2;
    }
  }
};
RegExp.escape || (RegExp.escape = function(e2) {
  return e2.replace(/[/\-\\^$*+?.()|[\]{}]/g, "\\$&");
});
var Client = class {
  get baseUrl() {
    return this.baseURL;
  }
  set baseUrl(e2) {
    this.baseURL = e2;
  }
  constructor(e2 = "/", t2, s2 = "en-US") {
    this.cancelControllers = {}, this.recordServices = {}, this.enableAutoCancellation = true, this.baseURL = e2, this.lang = s2, t2 ? this.authStore = t2 : false ? this.authStore = new BaseAuthStore() : this.authStore = new LocalAuthStore(), this.collections = new CollectionService(this), this.files = new FileService(this), this.logs = new LogService(this), this.settings = new SettingsService(this), this.realtime = new RealtimeService(this), this.health = new HealthService(this), this.backups = new BackupService(this), this.crons = new CronService(this), this.sql = new SQLService(this);
  }
  get admins() {
    return this.collection("_superusers");
  }
  createBatch() {
    return new BatchService(this);
  }
  collection(e2) {
    return this.recordServices[e2] || (this.recordServices[e2] = new RecordService(this, e2)), this.recordServices[e2];
  }
  autoCancellation(e2) {
    return this.enableAutoCancellation = !!e2, this;
  }
  cancelRequest(e2) {
    return this.cancelControllers[e2] && (this.cancelControllers[e2].abort(), delete this.cancelControllers[e2]), this;
  }
  cancelAllRequests() {
    for (let e2 in this.cancelControllers) this.cancelControllers[e2].abort();
    return this.cancelControllers = {}, this;
  }
  filter(e2, t2) {
    if (!t2) return e2;
    const s2 = {};
    for (const e3 in t2) s2["{:" + e3 + "}"] = t2[e3];
    const i2 = Object.keys(s2).map(((e3) => RegExp.escape(e3))).join("|");
    if (!i2) return e2;
    return e2.replace(new RegExp(i2, "g"), ((e3) => (function stringify(e4) {
      switch (typeof e4) {
        case "boolean":
        case "number":
          return "" + e4;
        case "string":
          return JSON.stringify(e4);
        default:
          if (null == e4) return "null";
          if (e4 instanceof Date) return JSON.stringify(e4.toISOString().replace("T", " "));
          const t3 = JSON.stringify(e4);
          return t3.startsWith("[") || t3.startsWith("{") ? JSON.stringify(t3) : t3;
      }
    })(s2[e3])));
  }
  getFileUrl(e2, t2, s2 = {}) {
    return console.warn("Please replace pb.getFileUrl() with pb.files.getURL()"), this.files.getURL(e2, t2, s2);
  }
  buildUrl(e2) {
    return console.warn("Please replace pb.buildUrl() with pb.buildURL()"), this.buildURL(e2);
  }
  buildURL(e2) {
    let t2 = this.baseURL;
    return true, e2 && (t2 += t2.endsWith("/") ? "" : "/", t2 += e2.startsWith("/") ? e2.substring(1) : e2), t2;
  }
  async send(e2, t2) {
    t2 = this.initSendOptions(e2, t2);
    let s2 = this.buildURL(e2);
    if (this.beforeSend) {
      const e3 = Object.assign({}, await this.beforeSend(s2, t2));
      void 0 !== e3.url || void 0 !== e3.options ? (s2 = e3.url || s2, t2 = e3.options || t2) : Object.keys(e3).length && (t2 = e3, (console == null ? void 0 : console.warn) && console.warn("Deprecated format of beforeSend return: please use `return { url, options }`, instead of `return options`."));
    }
    if (void 0 !== t2.query) {
      const e3 = serializeQueryParams(t2.query);
      e3 && (s2 += (s2.includes("?") ? "&" : "?") + e3), delete t2.query;
    }
    "application/json" == this.getHeader(t2.headers, "Content-Type") && t2.body && "string" != typeof t2.body && (t2.body = JSON.stringify(t2.body));
    return (t2.fetch || fetch)(s2, t2).then((async (e3) => {
      var _a;
      let s3 = {};
      try {
        s3 = await e3.json();
      } catch (e4) {
        if (((_a = t2.signal) == null ? void 0 : _a.aborted) || "AbortError" == (e4 == null ? void 0 : e4.name) || "Aborted" == (e4 == null ? void 0 : e4.message)) throw e4;
      }
      if (this.afterSend && (s3 = await this.afterSend(e3, s3, t2)), e3.status >= 400) throw new ClientResponseError({ url: e3.url, status: e3.status, data: s3 });
      return s3;
    })).catch(((e3) => {
      throw new ClientResponseError(e3);
    }));
  }
  initSendOptions(e2, t2) {
    if ((t2 = Object.assign({ method: "GET" }, t2)).body = (function convertToFormDataIfNeeded(e3) {
      if ("undefined" == typeof FormData || void 0 === e3 || "object" != typeof e3 || null === e3 || isFormData(e3) || !hasFileField(e3)) return e3;
      const t3 = new FormData();
      for (const s2 in e3) {
        const i2 = e3[s2];
        if (void 0 !== i2) if ("object" != typeof i2 || hasFileField({ data: i2 })) {
          const e4 = Array.isArray(i2) ? i2 : [i2];
          for (let i3 of e4) t3.append(s2, i3);
        } else {
          let e4 = {};
          e4[s2] = i2, t3.append("@jsonPayload", JSON.stringify(e4));
        }
      }
      return t3;
    })(t2.body), normalizeUnknownQueryParams(t2), t2.query = Object.assign({}, t2.params, t2.query), void 0 === t2.requestKey && (false === t2.$autoCancel || false === t2.query.$autoCancel ? t2.requestKey = null : (t2.$cancelKey || t2.query.$cancelKey) && (t2.requestKey = t2.$cancelKey || t2.query.$cancelKey)), delete t2.$autoCancel, delete t2.query.$autoCancel, delete t2.$cancelKey, delete t2.query.$cancelKey, null !== this.getHeader(t2.headers, "Content-Type") || isFormData(t2.body) || (t2.headers = Object.assign({}, t2.headers, { "Content-Type": "application/json" })), null === this.getHeader(t2.headers, "Accept-Language") && (t2.headers = Object.assign({}, t2.headers, { "Accept-Language": this.lang })), this.authStore.token && null === this.getHeader(t2.headers, "Authorization") && (t2.headers = Object.assign({}, t2.headers, { Authorization: this.authStore.token })), this.enableAutoCancellation && null !== t2.requestKey) {
      const s2 = t2.requestKey || (t2.method || "GET") + e2;
      delete t2.requestKey, this.cancelRequest(s2);
      const i2 = new AbortController();
      this.cancelControllers[s2] = i2, t2.signal = i2.signal;
    }
    return t2;
  }
  getHeader(e2, t2) {
    e2 = e2 || {}, t2 = t2.toLowerCase();
    for (let s2 in e2) if (s2.toLowerCase() == t2) return e2[s2];
    return null;
  }
};

// src/errors.ts
var WxbaseError = class extends Error {
  constructor(message, fields = {}) {
    super(message);
    this.name = "WxbaseError";
    this.status = fields.status || 0;
    this.data = fields.data || {};
    this.code = fields.code || (typeof this.data.code === "string" ? this.data.code : "");
    this.url = fields.url || "";
    this.isAbort = !!fields.isAbort;
    this.response = fields.response || {};
    this.originalError = fields.originalError;
  }
};
function unsupported(message) {
  return new WxbaseError(message, { code: "wxbase_unsupported" });
}
function invalidQuery(message) {
  return new WxbaseError(message, { code: "wxbase_invalid_query" });
}
function toWxbaseError(err) {
  if (err instanceof WxbaseError) {
    return err;
  }
  if (err instanceof ClientResponseError) {
    const cause = err.originalError;
    if (cause instanceof WxbaseError) {
      return cause;
    }
    const body = err.response || {};
    const data = body.data && typeof body.data === "object" ? body.data : {};
    return new WxbaseError(body.message || err.message, {
      status: err.status,
      data,
      url: err.url,
      isAbort: err.isAbort,
      response: body,
      originalError: cause
    });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new WxbaseError(message, { originalError: err });
}

// src/adapters/form-data.ts
var FormData = class {
  constructor() {
    this.entries = [];
  }
  append(name, value) {
    this.entries.push([name, value]);
  }
  set(name, value) {
    this.delete(name);
    this.append(name, value);
  }
  get(name) {
    for (const [key, value] of this.entries) {
      if (key === name) {
        return value;
      }
    }
    return null;
  }
  getAll(name) {
    return this.entries.filter(([key]) => key === name).map(([, value]) => value);
  }
  has(name) {
    return this.entries.some(([key]) => key === name);
  }
  delete(name) {
    this.entries = this.entries.filter(([key]) => key !== name);
  }
  forEach(callback) {
    for (const [key, value] of this.entries) {
      callback(value, key);
    }
  }
};

// src/adapters/wx-fetch.ts
var wxMethods = ["OPTIONS", "GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "CONNECT"];
var methodOverrideHeader = "X-HTTP-Method-Override";
var WxResponse = class {
  constructor(url, status, header, body) {
    this.url = url;
    this.status = status;
    this.header = header;
    this.body = body;
    this.headers = {
      get: (name) => {
        const wanted = name.toLowerCase();
        for (const key of Object.keys(this.header || {})) {
          if (key.toLowerCase() === wanted) {
            return String(this.header[key]);
          }
        }
        return null;
      }
    };
    this.ok = status >= 200 && status < 300;
  }
  text() {
    return Promise.resolve(this.body);
  }
  json() {
    return new Promise((resolve) => resolve(JSON.parse(this.body)));
  }
};
function formDataToJSON(form) {
  const body = {};
  form.forEach((value, name) => {
    if (typeof value !== "string") {
      throw unsupported("wx.request cannot send files; upload them with app.uploadFile().");
    }
    if (name === "@jsonPayload") {
      Object.assign(body, JSON.parse(value));
    } else if (name in body) {
      body[name] = [].concat(body[name], value);
    } else {
      body[name] = value;
    }
  });
  return body;
}
function fetch(url, init2 = {}) {
  return new Promise((resolve, reject) => {
    let method = (init2.method || "GET").toUpperCase();
    const header = Object.assign({}, init2.headers);
    if (method === "PATCH") {
      method = "POST";
      header[methodOverrideHeader] = "PATCH";
    }
    if (wxMethods.indexOf(method) < 0) {
      throw unsupported(`wx.request cannot send ${method} requests.`);
    }
    let data = init2.body;
    if (data instanceof FormData) {
      data = JSON.stringify(formDataToJSON(data));
      header["Content-Type"] = "application/json";
    }
    const signal = init2.signal;
    if (signal && signal.aborted) {
      reject(aborted(url));
      return;
    }
    const task = wx.request({
      url,
      method,
      header,
      data,
      // PocketBase parses the body itself (see WxResponse.json).
      dataType: "text",
      responseType: "text",
      success: (res) => {
        const body = typeof res.data === "string" ? res.data : JSON.stringify(res.data);
        resolve(new WxResponse(url, res.statusCode, res.header, body));
      },
      fail: (err) => {
        if (signal && signal.aborted) {
          reject(aborted(url));
          return;
        }
        reject(
          new WxbaseError(`wx.request failed: ${err.errMsg}`, {
            code: "wx_request_failed",
            url,
            data: { errMsg: err.errMsg, errno: err.errno }
          })
        );
      }
    });
    if (signal) {
      signal.addEventListener("abort", () => task.abort());
    }
  });
}
function aborted(url) {
  return new WxbaseError("The request was cancelled.", { code: "request_aborted", url, isAbort: true });
}

// src/adapters/abort-controller.ts
var AbortSignal = class {
  constructor() {
    this.aborted = false;
    this.listeners = [];
  }
  addEventListener(_type, listener) {
    this.listeners.push(listener);
  }
  removeEventListener(_type, listener) {
    this.listeners = this.listeners.filter((l) => l !== listener);
  }
  fire() {
    if (this.aborted) {
      return;
    }
    this.aborted = true;
    for (const listener of this.listeners.slice()) {
      listener();
    }
  }
};
var AbortController = class {
  constructor() {
    this.signal = new AbortSignal();
  }
  abort() {
    this.signal.fire();
  }
};

// src/adapters/event-source.ts
var EventSource = class {
  constructor() {
    throw realtimeUnsupported();
  }
};
function realtimeUnsupported() {
  return unsupported("Realtime subscriptions are not supported in mini-programs: wx has no EventSource.");
}

// src/client.ts
function sessionFree(path) {
  const clean = path.split("?")[0];
  if (clean === "/api/health" || clean === "api/health") {
    return true;
  }
  return /\/auth-(with-[^/]+|refresh|methods)$/.test(clean) || /\/(request|confirm)-[^/]+$/.test(clean);
}
var WxbaseClient = class extends Client {
  constructor(baseURL, authStore) {
    super(baseURL, authStore);
    this.session = null;
    const refuse2 = () => Promise.reject(realtimeUnsupported());
    this.realtime.subscribe = refuse2;
  }
  async send(path, options = {}) {
    const once = async () => {
      try {
        return await super.send(path, options);
      } catch (err) {
        throw toWxbaseError(err);
      }
    };
    if (!this.session || sessionFree(path)) {
      return once();
    }
    return this.session.run(once);
  }
};

// src/database/callbacks.ts
var errCodes = {
  /** 通用错误: no answer came (network, wx failure, login), and a missing document. */
  generic: -1,
  /** SDK 通用错误：API 传入参数错误: a query CloudBase itself refuses (wxbase_invalid_query). */
  invalidArgument: -401002,
  /** 云资源通用错误：请求次数超出环境配额: the server's rate limit (429). */
  quotaExceeded: -501003,
  /** 云资源通用错误：参数错误: the server refused the request's data (400). */
  invalidParameter: -501007,
  /** 云资源通用错误：操作不支持: what PocketBase cannot do (wxbase_unsupported). */
  unsupported: -501021,
  /** 云资源数据库错误：数据库请求失败: any other failure of the request. */
  databaseFailed: -502001,
  /** 云资源数据库错误：无权限操作数据库: 401 and 403. */
  permissionDenied: -502003,
  /** 云资源数据库错误：集合不存在: the collection does not exist (PocketBase's 404 "Missing collection context."). */
  collectionMissing: -502005
};
function isMissingCollection(err) {
  return err.status === 404 && /^Missing (or invalid )?collection context/.test(err.message);
}
function isMissingDocument(err) {
  return err instanceof WxbaseError && err.status === 404 && !isMissingCollection(err);
}
function errCodeOf(err) {
  switch (err.code) {
    case "wxbase_unsupported":
      return errCodes.unsupported;
    case "wxbase_invalid_query":
      return errCodes.invalidArgument;
    case "wxbase_batch_too_large":
    case "wxbase_field_type_unknown":
      return errCodes.databaseFailed;
  }
  if (err.status === 0) {
    return errCodes.generic;
  }
  if (err.status === 400) {
    return errCodes.invalidParameter;
  }
  if (err.status === 401 || err.status === 403) {
    return errCodes.permissionDenied;
  }
  if (err.status === 404) {
    return isMissingCollection(err) ? errCodes.collectionMissing : errCodes.generic;
  }
  if (err.status === 429) {
    return errCodes.quotaExceeded;
  }
  return errCodes.databaseFailed;
}
function cloudbaseError(api, failure, docId) {
  const err = toWxbaseError(failure);
  const out = new WxbaseError(err.message, {
    status: err.status,
    code: err.code,
    data: err.data,
    url: err.url,
    isAbort: err.isAbort,
    response: err.response,
    originalError: err.originalError
  });
  if (err.stack) {
    out.stack = err.stack;
  }
  out.errCode = errCodeOf(err);
  out.errMsg = api === "document.get" && docId !== void 0 && isMissingDocument(err) ? `document.get:fail document with _id ${docId} does not exist` : `${api}:fail ${err.message}`;
  return out;
}
var callbackNames = ["success", "fail", "complete"];
function hasCallbacks(options) {
  if (!options || typeof options !== "object") {
    return false;
  }
  return callbackNames.some((name) => typeof options[name] === "function");
}
function withoutCallbacks(options) {
  if (!hasCallbacks(options)) {
    return options;
  }
  const rest = {};
  for (const key of Object.keys(options)) {
    if (callbackNames.indexOf(key) < 0) {
      rest[key] = options[key];
    }
  }
  return rest;
}
function call(api, name, fn, value) {
  if (typeof fn !== "function") {
    return;
  }
  try {
    fn(value);
  } catch (err) {
    console.error(`${api}: the ${name} callback threw:`, err);
  }
}
function settle(api, options, run, docId) {
  let promise;
  try {
    promise = Promise.resolve(run());
  } catch (err) {
    promise = Promise.reject(err);
  }
  promise = promise.catch((err) => {
    throw cloudbaseError(api, err, docId);
  });
  if (!hasCallbacks(options)) {
    return promise;
  }
  const { success, fail, complete } = options;
  promise.then(
    (res) => {
      call(api, "success", success, res);
      call(api, "complete", complete, res);
    },
    (err) => {
      call(api, "fail", fail, err);
      call(api, "complete", complete, err);
    }
  );
  return void 0;
}
function withCallbacks(proto, prefix, names) {
  const methods = proto;
  for (const name of names) {
    const method = methods[name];
    const api = `${prefix}.${name}`;
    methods[name] = function(options) {
      const docId = prefix === "document" && typeof this._id === "string" ? this._id : void 0;
      return settle(api, options, () => method.call(this, withoutCallbacks(options)), docId);
    };
  }
}

// src/database/fields.ts
var identifier = /^[A-Za-z_][A-Za-z0-9_]*$/;
function checkName(name, where) {
  if (!identifier.test(name)) {
    throw unsupported(`${where}: "${name}" is not a field name PocketBase accepts (letters, digits and _).`);
  }
  return name;
}
function serverField(name) {
  if (name === "_id") {
    return "id";
  }
  if (name === "_openid") {
    return "owner";
  }
  return name;
}
function isPlainObject(value) {
  if (value === null || typeof value !== "object") {
    return false;
  }
  const proto = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

// src/database/values.ts
var ServerDate = class {
  constructor(offset) {
    this.offset = offset;
  }
};
var RegExpValue = class {
  constructor(regexp, options) {
    this.regexp = regexp;
    this.options = options;
  }
};
var GeoValue = class {
};
function coordinate(lon, lat) {
  if (typeof lon !== "number" || typeof lat !== "number" || !isFinite(lon) || !isFinite(lat)) {
    throw unsupported("db.Geo.Point(longitude, latitude) takes two numbers.");
  }
  if (lon < -180 || lon > 180 || lat < -90 || lat > 90) {
    throw unsupported("db.Geo.Point(longitude, latitude): longitude is -180..180 and latitude -90..90.");
  }
  return [lon, lat];
}
function each(list2, name, of, ok) {
  if (!Array.isArray(list2) || !list2.every(ok)) {
    throw unsupported(`db.Geo.${name}() takes an array of db.Geo.${of} values.`);
  }
  return list2.slice();
}
var GeoPoint = class extends GeoValue {
  constructor(longitude, latitude) {
    super();
    [this.longitude, this.latitude] = coordinate(longitude, latitude);
  }
  toJSON() {
    return { type: "Point", coordinates: [this.longitude, this.latitude] };
  }
};
var GeoLineString = class extends GeoValue {
  constructor(points) {
    super();
    this.points = each(points, "LineString", "Point", (p) => p instanceof GeoPoint);
  }
  toJSON() {
    return { type: "LineString", coordinates: this.points.map((p) => p.toJSON().coordinates) };
  }
};
var GeoPolygon = class extends GeoValue {
  constructor(lines) {
    super();
    this.lines = each(lines, "Polygon", "LineString", (l) => l instanceof GeoLineString);
  }
  toJSON() {
    return { type: "Polygon", coordinates: this.lines.map((l) => l.toJSON().coordinates) };
  }
};
var GeoMultiPoint = class extends GeoValue {
  constructor(points) {
    super();
    this.points = each(points, "MultiPoint", "Point", (p) => p instanceof GeoPoint);
  }
  toJSON() {
    return { type: "MultiPoint", coordinates: this.points.map((p) => p.toJSON().coordinates) };
  }
};
var GeoMultiLineString = class extends GeoValue {
  constructor(lines) {
    super();
    this.lines = each(lines, "MultiLineString", "LineString", (l) => l instanceof GeoLineString);
  }
  toJSON() {
    return { type: "MultiLineString", coordinates: this.lines.map((l) => l.toJSON().coordinates) };
  }
};
var GeoMultiPolygon = class extends GeoValue {
  constructor(polygons) {
    super();
    this.polygons = each(polygons, "MultiPolygon", "Polygon", (p) => p instanceof GeoPolygon);
  }
  toJSON() {
    return { type: "MultiPolygon", coordinates: this.polygons.map((p) => p.toJSON().coordinates) };
  }
};
function callable(Class) {
  const make = function(...args) {
    return new Class(...args);
  };
  make.prototype = Class.prototype;
  return make;
}
function makeGeo() {
  return {
    Point: callable(GeoPoint),
    LineString: callable(GeoLineString),
    Polygon: callable(GeoPolygon),
    MultiPoint: callable(GeoMultiPoint),
    MultiLineString: callable(GeoMultiLineString),
    MultiPolygon: callable(GeoMultiPolygon)
  };
}
var point = (c) => new GeoPoint(c[0], c[1]);
var line = (c) => new GeoLineString(c.map(point));
var polygon = (c) => new GeoPolygon(c.map(line));
var geoReaders = {
  Point: point,
  LineString: line,
  Polygon: polygon,
  MultiPoint: (c) => new GeoMultiPoint(c.map(point)),
  MultiLineString: (c) => new GeoMultiLineString(c.map(line)),
  MultiPolygon: (c) => new GeoMultiPolygon(c.map(polygon))
};
function readGeo(value) {
  const keys = Object.keys(value);
  if (keys.length !== 2 || typeof value.type !== "string" || !Array.isArray(value.coordinates) || !geoReaders[value.type]) {
    return null;
  }
  try {
    return geoReaders[value.type](value.coordinates);
  } catch (err) {
    return null;
  }
}
function serverDate(options) {
  const offset = options && options.offset !== void 0 ? options.offset : 0;
  if (typeof offset !== "number" || !isFinite(offset)) {
    throw unsupported("db.serverDate({ offset }) takes a number of milliseconds.");
  }
  return new ServerDate(offset);
}
function regExp(options) {
  if (!options || typeof options.regexp !== "string") {
    throw unsupported("db.RegExp({ regexp, options }) takes the pattern as a string.");
  }
  return new RegExpValue(options.regexp, options.options || "");
}

// src/database/serialize.ts
var comparison = { eq: "$eq", neq: "$ne", gt: "$gt", gte: "$gte", lt: "$lt", lte: "$lte" };
function encodeValue(value, where) {
  if (isDate(value)) {
    if (isNaN(value.getTime())) {
      throw unsupported(`${where}: an invalid Date.`);
    }
    return { $date: value.getTime() };
  }
  if (value instanceof ServerDate) {
    return { $serverDate: { offset: value.offset } };
  }
  if (value instanceof GeoValue) {
    return value.toJSON();
  }
  if (value instanceof RegExpValue || isRegExp(value)) {
    throw unsupported(`${where}: a regular expression is a condition, not a value to store.`);
  }
  if (value instanceof QueryCmd || value instanceof UpdateCmd) {
    throw unsupported(`${where}: _.${value.operator}() cannot be used here.`);
  }
  if (Array.isArray(value)) {
    return value.map((item) => item === void 0 ? null : encodeValue(item, where));
  }
  if (isPlainObject(value)) {
    const out = {};
    for (const key of Object.keys(value)) {
      if (value[key] !== void 0) {
        out[key] = encodeValue(value[key], where);
      }
    }
    return out;
  }
  if (typeof value === "function" || typeof value === "symbol" || typeof value === "bigint") {
    throw unsupported(`${where}: a ${typeof value} cannot be stored.`);
  }
  if (typeof value === "number" && !isFinite(value)) {
    throw unsupported(`${where}: ${value} cannot be stored.`);
  }
  return value;
}
function decodeValue(value) {
  if (Array.isArray(value)) {
    return value.map(decodeValue);
  }
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === "$date") {
      return new Date(typeof value.$date === "string" ? Date.parse(value.$date) : value.$date);
    }
    if (keys.length === 1 && keys[0] === "$numberDouble") {
      return Number(value.$numberDouble);
    }
    const geo = readGeo(value);
    if (geo) {
      return geo;
    }
    const out = {};
    for (const key of keys) {
      out[key] = decodeValue(value[key]);
    }
    return out;
  }
  return value;
}
function isRegExp(value) {
  return Object.prototype.toString.call(value) === "[object RegExp]";
}
function isDate(value) {
  return Object.prototype.toString.call(value) === "[object Date]";
}
function regexCondition(value) {
  if (value instanceof RegExpValue) {
    return { $regex: value.regexp, $options: value.options };
  }
  return { $regex: value.source, $options: value.flags.replace(/[gy]/g, "") };
}
function encodeQuery(condition) {
  const out = [];
  if (condition instanceof QueryCmd) {
    out.push(logicAtTop(condition));
  } else {
    objectConditions(condition, "", out);
  }
  return merge(out);
}
function merge(parts) {
  const doc = {};
  const rest = [];
  for (const part of parts) {
    const key = Object.keys(part)[0];
    if (key === "$and") {
      rest.push(...part.$and);
    } else if (key in doc) {
      rest.push(part);
    } else {
      doc[key] = part[key];
    }
  }
  if (rest.length) {
    doc.$and = (doc.$and || []).concat(rest);
  }
  return doc;
}
function logicAtTop(cmd) {
  if (cmd.operator === "expr") {
    return { $expr: encodeExpression(cmd.operands[0], "_.expr()") };
  }
  if (cmd.operator !== "and" && cmd.operator !== "or" && cmd.operator !== "nor") {
    throw unsupported(`where(): _.${cmd.operator}() needs a field: where({ field: _.${cmd.operator}(...) }).`);
  }
  if (!cmd.operands.length) {
    throw unsupported(`where(): _.${cmd.operator}() needs at least one condition.`);
  }
  return {
    ["$" + cmd.operator]: cmd.operands.map((operand) => {
      if (operand instanceof QueryCmd) {
        return logicAtTop(operand);
      }
      if (!isPlainObject(operand)) {
        throw unsupported(`where(): _.${cmd.operator}() at the top level takes conditions such as { field: value }.`);
      }
      return encodeQuery(operand);
    })
  };
}
function objectConditions(condition, prefix, out) {
  for (const key of Object.keys(condition)) {
    const value = condition[key];
    if (value === void 0) {
      continue;
    }
    const path = prefix + key;
    if (isPlainObject(value) && Object.keys(value).length > 0) {
      objectConditions(value, path + ".", out);
      continue;
    }
    out.push(fieldCondition(path, value));
  }
}
function fieldCondition(path, value) {
  if (value instanceof QueryCmd) {
    switch (value.operator) {
      case "expr":
        throw unsupported(`where(): _.expr() is a whole condition, not one of "${path}": match(_.expr(...)).`);
      case "and":
      case "or":
      case "nor":
        if (!value.operands.length) {
          throw unsupported(`where(): _.${value.operator}() needs at least one condition.`);
        }
        return {
          ["$" + value.operator]: value.operands.map(
            (operand) => operand instanceof QueryCmd || !isPlainObject(operand) ? fieldCondition(path, operand) : encodeQuery(prefixed(path, operand))
          )
        };
    }
    return { [path]: operatorDoc(value, path) };
  }
  if (value instanceof RegExpValue || isRegExp(value)) {
    return { [path]: regexCondition(value) };
  }
  return { [path]: encodeValue(value, "where()") };
}
function prefixed(path, operand) {
  if (!isPlainObject(operand)) {
    throw unsupported(`where(): _.and()/_.or() on "${path}" take operators such as _.gt(1).`);
  }
  return { [path]: operand };
}
function operatorDoc(cmd, where) {
  const arg = cmd.operands[0];
  switch (cmd.operator) {
    case "eq":
    case "neq":
    case "gt":
    case "gte":
    case "lt":
    case "lte":
      if (arg instanceof RegExpValue || isRegExp(arg)) {
        if (cmd.operator === "eq") {
          return regexCondition(arg);
        }
        throw unsupported(`where(): "${where}": _.${cmd.operator}() cannot take a regular expression.`);
      }
      return { [comparison[cmd.operator]]: encodeValue(arg, "where()") };
    case "in":
    case "nin":
    case "all":
      return {
        ["$" + cmd.operator]: arg.map(
          (v) => v instanceof RegExpValue || isRegExp(v) ? regexValue(v) : encodeValue(v, "where()")
        )
      };
    case "exists":
      return { $exists: arg };
    case "size":
      return { $size: arg };
    case "mod":
      return { $mod: [cmd.operands[0], cmd.operands[1]] };
    case "not":
      return { $not: operatorDoc(arg, where) };
    case "elemMatch":
      if (arg instanceof QueryCmd) {
        return { $elemMatch: elemMatchOperators(arg, where) };
      }
      if (!isPlainObject(arg)) {
        throw unsupported(`where(): "${where}": _.elemMatch() takes a condition object or operators.`);
      }
      return { $elemMatch: encodeQuery(arg) };
    case "geoNear": {
      const o = arg || {};
      const doc = { $geometry: geometry(o.geometry, "geoNear") };
      if (o.maxDistance !== void 0) {
        doc.$maxDistance = o.maxDistance;
      }
      if (o.minDistance !== void 0) {
        doc.$minDistance = o.minDistance;
      }
      return { $nearSphere: doc };
    }
    case "geoWithin": {
      const o = arg || {};
      if (o.centerSphere !== void 0) {
        return { $geoWithin: { $centerSphere: encodeCenter(o.centerSphere) } };
      }
      return { $geoWithin: { $geometry: geometry(o.geometry, "geoWithin") } };
    }
    case "geoIntersects":
      return { $geoIntersects: { $geometry: geometry((arg || {}).geometry, "geoIntersects") } };
  }
  throw unsupported(`where(): _.${cmd.operator}() needs a field.`);
}
function regexValue(value) {
  return regexCondition(value);
}
function encodeCenter(center) {
  if (!Array.isArray(center) || center.length !== 2) {
    throw unsupported("geoWithin({ centerSphere }) takes [point, radiusInRadians].");
  }
  const point2 = center[0] instanceof GeoValue ? center[0].toJSON().coordinates : center[0];
  return [point2, center[1]];
}
function geometry(value, name) {
  if (value instanceof GeoValue) {
    return value.toJSON();
  }
  if (isPlainObject(value) && typeof value.type === "string") {
    return value;
  }
  throw unsupported(`_.${name}() takes { geometry: db.Geo.Point(...) } (or another db.Geo shape).`);
}
function elemMatchOperators(cmd, where) {
  if (cmd.operator === "and") {
    const doc = {};
    for (const operand of cmd.operands) {
      if (!(operand instanceof QueryCmd)) {
        throw unsupported(`where(): "${where}": _.elemMatch() takes operators joined with and().`);
      }
      const part = elemMatchOperators(operand, where);
      for (const key of Object.keys(part)) {
        if (key in doc) {
          throw unsupported(`where(): "${where}": _.elemMatch() with ${key} twice; use one bound per operator.`);
        }
        doc[key] = part[key];
      }
    }
    return doc;
  }
  if (cmd.operator === "or" || cmd.operator === "nor") {
    throw unsupported(`where(): "${where}": _.elemMatch() of values takes operators joined with and(); for or(), use an object condition.`);
  }
  return operatorDoc(cmd, where);
}
function encodeUpdate(data, where) {
  if (!isPlainObject(data)) {
    throw unsupported(`${where} takes { data: { ... } }.`);
  }
  const out = {};
  for (const key of Object.keys(data)) {
    const value = data[key];
    if (value === void 0) {
      continue;
    }
    out[key] = updateValue(value, where);
  }
  return out;
}
function updateValue(value, where) {
  if (value instanceof QueryCmd) {
    throw unsupported(`${where}: _.${value.operator}() is a query operator; update operators are _.set, _.inc, _.push and the like.`);
  }
  if (value instanceof UpdateCmd) {
    const arg = value.values[0];
    switch (value.operator) {
      case "set":
        return { $set: encodeValue(arg, where) };
      case "remove":
        return { $unset: true };
      case "inc":
      case "mul":
      case "min":
      case "max":
      case "rename":
      case "pop":
        return { ["$" + value.operator]: encodeValue(arg, where) };
      case "shift":
        return { $pop: -1 };
      case "push": {
        const push = { $each: encodeValue(arg.each, where) };
        for (const key of ["position", "slice", "sort"]) {
          if (arg[key] !== void 0) {
            push["$" + key] = arg[key];
          }
        }
        return { $push: push };
      }
      case "unshift":
        return { $push: { $each: encodeValue(arg, where), $position: 0 } };
      case "pull":
        if (arg instanceof QueryCmd) {
          return { $pull: operatorDoc(arg, where) };
        }
        if (isPlainObject(arg) && Object.keys(arg).some((k) => arg[k] instanceof QueryCmd)) {
          return { $pull: encodeQuery(arg) };
        }
        return { $pull: encodeValue(arg, where) };
      case "pullAll":
        return { $pullAll: encodeValue(arg, where) };
      case "addToSet":
        if (isPlainObject(arg) && Array.isArray(arg.each)) {
          return { $addToSet: { $each: encodeValue(arg.each, where) } };
        }
        return { $addToSet: encodeValue(arg, where) };
    }
  }
  if (isPlainObject(value)) {
    const out = {};
    for (const key of Object.keys(value)) {
      if (value[key] !== void 0) {
        out[key] = updateValue(value[key], where);
      }
    }
    return out;
  }
  return encodeValue(value, where);
}

// src/database/aggregate.ts
var AggregateOperator = class {
  constructor(name, param) {
    this.name = name;
    this.param = param;
  }
};
var operatorNames = "abs add addToSet allElementsTrue and anyElementTrue arrayElemAt arrayToObject avg ceil cmp concat concatArrays cond convert dateFromParts dateToParts dateFromString dateToString dayOfMonth dayOfWeek dayOfYear divide eq exp filter first floor gt gte hour ifNull in indexOfArray indexOfBytes indexOfCP isArray isoDayOfWeek isoWeek isoWeekYear last let literal ln log log10 lt lte ltrim map max mergeObjects meta min millisecond minute mod month multiply neq not objectToArray or pow push range reduce reverseArray rtrim second setDifference setEquals setIntersection setIsSubset setUnion size slice split sqrt stdDevPop stdDevSamp strcasecmp strLenBytes strLenCP substr substrBytes substrCP subtract sum switch toBool toDate toDecimal toDouble toInt toLong toObjectId toString toLower toUpper trim trunc type week year zip".split(" ");
function makeAggregateCommand() {
  const command = {
    pipeline: () => new AggregateImpl()
  };
  for (const name of operatorNames) {
    const operator = name === "neq" ? "ne" : name;
    command[name] = (param) => new AggregateOperator(operator, param);
  }
  return command;
}
function encodeExpression(value, where) {
  if (value instanceof AggregateOperator) {
    return { ["$" + value.name]: encodeExpression(value.param, where) };
  }
  if (isDate(value)) {
    if (isNaN(value.getTime())) {
      throw unsupported(`${where}: an invalid Date.`);
    }
    return { $date: value.getTime() };
  }
  if (value instanceof GeoValue) {
    return value.toJSON();
  }
  if (value instanceof AggregateImpl) {
    return value.done();
  }
  if (value instanceof ServerDate) {
    throw unsupported(`${where}: db.serverDate() is not supported in a pipeline; pass a Date (new Date()).`);
  }
  if (value instanceof RegExpValue || isRegExp(value)) {
    throw unsupported(`${where}: a regular expression is a condition of match(), not a value of an expression.`);
  }
  if (value instanceof QueryCmd || value instanceof UpdateCmd) {
    throw unsupported(`${where}: _.${value.operator}() is a query operator; in an expression use db.command.aggregate's ($.${value.operator}()).`);
  }
  if (Array.isArray(value)) {
    return value.map((item) => item === void 0 ? null : encodeExpression(item, where));
  }
  if (isPlainObject(value)) {
    const out = {};
    for (const key of Object.keys(value)) {
      if (value[key] !== void 0) {
        out[key] = encodeExpression(value[key], where);
      }
    }
    return out;
  }
  if (typeof value === "function" || typeof value === "symbol" || typeof value === "bigint") {
    throw unsupported(`${where}: a ${typeof value} is not a value.`);
  }
  if (typeof value === "number" && !isFinite(value)) {
    throw unsupported(`${where}: ${value} is not a value JSON can carry.`);
  }
  return value;
}
var AggregateImpl = class {
  constructor(target) {
    this.target = target;
    this.stages = [];
  }
  stage(name, value) {
    this.stages.push({ ["$" + name]: value });
    return this;
  }
  addFields(fields) {
    return this.stage("addFields", encodeExpression(fields, "addFields()"));
  }
  bucket(spec) {
    return this.stage("bucket", encodeExpression(spec, "bucket()"));
  }
  bucketAuto(spec) {
    return this.stage("bucketAuto", encodeExpression(spec, "bucketAuto()"));
  }
  count(field) {
    return this.stage("count", field);
  }
  geoNear(options) {
    const spec = encodeExpression(Object.assign({}, options, { query: void 0 }), "geoNear()");
    if (options && options.query !== void 0) {
      spec.query = encodeQuery(options.query);
    }
    return this.stage("geoNear", spec);
  }
  group(spec) {
    return this.stage("group", encodeExpression(spec, "group()"));
  }
  limit(n2) {
    return this.stage("limit", n2);
  }
  lookup(options) {
    return this.stage("lookup", encodeExpression(options, "lookup()"));
  }
  match(condition) {
    return this.stage("match", encodeQuery(condition));
  }
  project(spec) {
    return this.stage("project", encodeExpression(spec, "project()"));
  }
  replaceRoot(spec) {
    return this.stage("replaceRoot", encodeExpression(spec, "replaceRoot()"));
  }
  sample(spec) {
    return this.stage("sample", encodeExpression(spec, "sample()"));
  }
  skip(n2) {
    return this.stage("skip", n2);
  }
  /** sort({ a: -1, b: 1 }): the first key is the most significant, as written. */
  sort(spec) {
    return this.stage("sort", encodeExpression(spec, "sort()"));
  }
  sortByCount(expression) {
    return this.stage("sortByCount", encodeExpression(expression, "sortByCount()"));
  }
  unwind(spec) {
    return this.stage("unwind", encodeExpression(spec, "unwind()"));
  }
  /** The stages, for lookup({ pipeline: $.pipeline().match(...).done() }). */
  done() {
    return this.stages.slice();
  }
  /**
   * Runs the pipeline: { list, errMsg: "collection.aggregate:ok" }; with
   * success, fail or complete in options it answers through them and
   * returns undefined, as CloudBase's end() does.
   */
  end(options) {
    return settle("collection.aggregate", options, async () => {
      if (!this.target) {
        throw unsupported("end() runs a collection's pipeline: db.collection(name).aggregate()...end(); $.pipeline() is for lookup({ pipeline }), with done().");
      }
      const res = await this.target.send(this.stages);
      return { list: res.list, errMsg: "collection.aggregate:ok" };
    });
  }
};

// src/database/compat.ts
function cloudbaseCommands() {
  return {
    jsonSchema: () => {
      throw unsupported(
        "db.command.jsonSchema() is not supported by wxbase: PocketBase checks records against the collection's fields instead; set their types and constraints (required, min, max, pattern) in the dashboard."
      );
    }
  };
}
var noTransactions = "a mini-program cannot hold a transaction open. Write the transaction as a pb_hooks route (app.callFunction) with $app.runInTransaction(), or send the writes together, all or nothing, through PocketBase's batch API (POST /api/batch, app.pb.createBatch()).";
var refusals = {
  runTransaction: `db.runTransaction() is not supported by wxbase: ${noTransactions}`,
  startTransaction: `db.startTransaction() is not supported by wxbase: ${noTransactions}`,
  createCollection: "db.createCollection() is not supported by wxbase: collections are created by an admin, in the PocketBase dashboard (/_/) or by a migration in pb_migrations, with their fields and access rules."
};
function refuse(api) {
  return () => settle(`database.${api}`, void 0, () => Promise.reject(unsupported(refusals[api])));
}
function cloudbaseDatabase(base, options = {}) {
  const db = Object.assign({}, base, {
    runTransaction: refuse("runTransaction"),
    startTransaction: refuse("startTransaction"),
    createCollection: refuse("createCollection")
  });
  if (options.throwOnNotFound === false) {
    db.collection = (name) => {
      const collection = base.collection(name);
      const doc = collection.doc;
      collection.doc = (id) => nullWhenMissing(doc.call(collection, id));
      return collection;
    };
  }
  return db;
}
function nullWhenMissing(document) {
  const get = document.get;
  const getOrNull = (options) => settle(
    "document.get",
    options,
    () => get.call(document).catch((err) => {
      if (isMissingDocument(err)) {
        return { data: null, errMsg: "document.get:ok" };
      }
      throw err;
    }),
    document._id
  );
  document.get = getOrNull;
  return document;
}

// src/database/command.ts
var QueryCmd = class _QueryCmd {
  constructor(operator, operands) {
    this.operator = operator;
    this.operands = operands;
    this.kind = "query";
  }
  and(...conditions) {
    return new _QueryCmd("and", [this].concat(flatten(conditions)));
  }
  or(...conditions) {
    return new _QueryCmd("or", [this].concat(flatten(conditions)));
  }
};
var UpdateCmd = class {
  constructor(operator, values) {
    this.operator = operator;
    this.values = values;
    this.kind = "update";
  }
};
function flatten(conditions) {
  const out = [];
  for (const c of conditions) {
    if (Array.isArray(c)) {
      out.push(...c);
    } else {
      out.push(c);
    }
  }
  return out;
}
function list(values, name) {
  if (!Array.isArray(values)) {
    throw unsupported(`db.command.${name}() takes an array.`);
  }
  return values.slice();
}
function number(value, name) {
  if (typeof value !== "number" || !isFinite(value)) {
    throw unsupported(`db.command.${name}() takes a number.`);
  }
  return value;
}
function makeCommand() {
  const command = __spreadValues({
    eq: (value) => new QueryCmd("eq", [value]),
    neq: (value) => new QueryCmd("neq", [value]),
    gt: (value) => new QueryCmd("gt", [value]),
    gte: (value) => new QueryCmd("gte", [value]),
    lt: (value) => new QueryCmd("lt", [value]),
    lte: (value) => new QueryCmd("lte", [value]),
    in: (values) => new QueryCmd("in", [list(values, "in")]),
    nin: (values) => new QueryCmd("nin", [list(values, "nin")]),
    and: (...conditions) => new QueryCmd("and", flatten(conditions)),
    or: (...conditions) => new QueryCmd("or", flatten(conditions)),
    nor: (...conditions) => new QueryCmd("nor", flatten(conditions)),
    not: (condition) => {
      if (!(condition instanceof QueryCmd)) {
        throw unsupported("db.command.not() takes an operator, such as _.not(_.gt(5)).");
      }
      return new QueryCmd("not", [condition]);
    },
    exists: (value) => new QueryCmd("exists", [!!value]),
    size: (n2) => new QueryCmd("size", [number(n2, "size")]),
    // mod(divisor, remainder), or the server SDK's mod([divisor, remainder]).
    mod: (divisor, remainder) => {
      const pair = Array.isArray(divisor) ? divisor : [divisor, remainder];
      return new QueryCmd("mod", [number(pair[0], "mod"), number(pair[1], "mod")]);
    },
    all: (values) => new QueryCmd("all", [list(values, "all")]),
    elemMatch: (condition) => new QueryCmd("elemMatch", [condition]),
    geoNear: (options) => new QueryCmd("geoNear", [options]),
    geoWithin: (options) => new QueryCmd("geoWithin", [options]),
    geoIntersects: (options) => new QueryCmd("geoIntersects", [options]),
    // field({ arr: _.project.slice(n) }) and slice([skip, n]).
    project: {
      slice: (arg) => ({ $slice: arg })
    },
    set: (value) => new UpdateCmd("set", [value]),
    remove: () => new UpdateCmd("remove", []),
    inc: (value) => new UpdateCmd("inc", [number(value, "inc")]),
    mul: (value) => new UpdateCmd("mul", [number(value, "mul")]),
    min: (value) => new UpdateCmd("min", [value]),
    max: (value) => new UpdateCmd("max", [value]),
    rename: (name) => {
      if (typeof name !== "string" || !name) {
        throw unsupported("db.command.rename() takes the new field name.");
      }
      return new UpdateCmd("rename", [name]);
    },
    push: (...args) => {
      const first = args[0];
      if (args.length === 1 && isPlainObject(first) && Object.prototype.hasOwnProperty.call(first, "each")) {
        const options = { each: list(first.each, "push({ each })") };
        for (const key of ["position", "slice", "sort"]) {
          if (first[key] !== void 0) {
            options[key] = first[key];
          }
        }
        return new UpdateCmd("push", [options]);
      }
      if (args.length === 1 && Array.isArray(first)) {
        return new UpdateCmd("push", [{ each: first.slice() }]);
      }
      return new UpdateCmd("push", [{ each: args }]);
    },
    pull: (value) => new UpdateCmd("pull", [value]),
    pullAll: (values) => new UpdateCmd("pullAll", [list(values, "pullAll")]),
    addToSet: (value) => {
      if (isPlainObject(value) && Object.prototype.hasOwnProperty.call(value, "each")) {
        return new UpdateCmd("addToSet", [{ each: list(value.each, "addToSet({ each })") }]);
      }
      return new UpdateCmd("addToSet", [value]);
    },
    pop: () => new UpdateCmd("pop", [1]),
    shift: () => new UpdateCmd("shift", [-1]),
    unshift: (...args) => {
      const values = args.length === 1 && Array.isArray(args[0]) ? args[0].slice() : args;
      return new UpdateCmd("unshift", [values]);
    },
    // _.expr($.eq(['$a', '$b'])) in match(), and the aggregation
    // operators ($ = db.command.aggregate).
    expr: (expression) => new QueryCmd("expr", [expression]),
    aggregate: makeAggregateCommand()
  }, cloudbaseCommands());
  return command;
}

// src/database/filter.ts
var comparison2 = {
  eq: "?=",
  neq: "!=",
  gt: "?>",
  gte: "?>=",
  lt: "?<",
  lte: "?<="
};
var never = "(1 = 2)";
var FilterCompiler = class {
  constructor(userId) {
    this.userId = userId;
    this.params = {};
    this.n = 0;
    // The path _openid became (owner): only '{openid}' compares with it.
    this.openidPath = "";
  }
  compile(condition) {
    const expr = this.condition(condition, "");
    return { expr, params: this.params };
  }
  condition(condition, prefix) {
    if (condition instanceof QueryCmd) {
      if (condition.operator === "nor") {
        throw unsupported("watch(): _.nor() is not supported in a watched query yet (get() takes it).");
      }
      if (condition.operator !== "and" && condition.operator !== "or") {
        throw unsupported(`where(): _.${condition.operator}() needs a field: where({ field: _.${condition.operator}(...) }).`);
      }
      return this.logic(condition, (operand) => {
        const nestedLogic = operand instanceof QueryCmd && (operand.operator === "and" || operand.operator === "or");
        if (!nestedLogic && !isPlainObject(operand)) {
          throw unsupported("where(): _.and()/_.or() at the top level take conditions such as { field: value }.");
        }
        return this.condition(operand, prefix);
      });
    }
    if (!isPlainObject(condition)) {
      throw unsupported("where() takes an object of field conditions.");
    }
    const parts = [];
    for (const key of Object.keys(condition)) {
      const value = condition[key];
      if (value === void 0) {
        continue;
      }
      const name = checkName(prefix ? key : serverField(key), "where()");
      if (!prefix && key === "_openid") {
        this.openidPath = name;
      }
      const path = prefix + name;
      if (value instanceof QueryCmd) {
        parts.push(this.command(path, value));
      } else if (isPlainObject(value)) {
        const nested = this.condition(value, path + ".");
        if (nested) {
          parts.push(nested);
        }
      } else {
        parts.push(this.compare(path, "eq", value));
      }
    }
    return join(parts, " && ");
  }
  command(path, cmd) {
    switch (cmd.operator) {
      case "and":
      case "or":
        return this.logic(cmd, (operand) => {
          if (!(operand instanceof QueryCmd)) {
            throw unsupported(`where(): _.${cmd.operator}() on a field takes operators such as _.gt(1).`);
          }
          return this.command(path, operand);
        });
      case "in":
        if (!cmd.operands[0].length) {
          return never;
        }
        return "(" + cmd.operands[0].map((v) => this.compare(path, "eq", v)).join(" || ") + ")";
      case "nin":
        if (!cmd.operands[0].length) {
          return "";
        }
        return "(" + cmd.operands[0].map((v) => this.compare(path, "neq", v)).join(" && ") + ")";
      default:
        if (!(cmd.operator in comparison2)) {
          throw unsupported(
            `watch(): _.${cmd.operator}() is not supported in a watched query yet; it takes eq, neq, gt, gte, lt, lte, in, nin, and, or (get() takes every operator).`
          );
        }
        return this.compare(path, cmd.operator, cmd.operands[0]);
    }
  }
  logic(cmd, each2) {
    if (!cmd.operands.length) {
      throw unsupported(`where(): _.${cmd.operator}() needs at least one condition.`);
    }
    const parts = cmd.operands.map(each2);
    const joined = join(parts, cmd.operator === "and" ? " && " : " || ");
    if (cmd.operator === "or" && parts.some((p) => !p)) {
      return "";
    }
    return joined;
  }
  compare(path, op, value) {
    if (value instanceof UpdateCmd) {
      throw unsupported(`where(): _.${value.operator}() is an update operator.`);
    }
    if (Object.prototype.toString.call(value) === "[object RegExp]") {
      throw unsupported("where(): regular expressions are not supported; PocketBase filters have no regex match.");
    }
    if (Array.isArray(value) || isPlainObject(value)) {
      throw unsupported(`where(): "${path}" compared with an array or object; PocketBase compares single values (use _.in([...]) for any of several).`);
    }
    if (typeof value === "function" || typeof value === "symbol" || value === void 0) {
      throw unsupported(`where(): "${path}" has no value to compare with.`);
    }
    if (this.openidPath === path && value !== "{openid}" && value !== null) {
      throw unsupported(
        "watch(): _openid is compared with '{openid}' (the signed-in user) only in a watched query; get() takes any openid."
      );
    }
    if (value === "{openid}") {
      value = this.userId;
    }
    const key = "p" + this.n++;
    this.params[key] = value;
    const placeholder = "{:" + key + "}";
    if (value === null) {
      return `${path} ${op === "neq" ? "!=" : "="} ${placeholder}`;
    }
    return `${lhs(path)} ${comparison2[op]} ${placeholder}`;
  }
};
function lhs(path) {
  if (path.indexOf(".") >= 0 || path === "id" || path === "owner") {
    return path;
  }
  return path + ":each";
}
function join(parts, op) {
  const kept = parts.filter((p) => p);
  if (kept.length <= 1) {
    return kept.join("");
  }
  return "(" + kept.join(op) + ")";
}

// src/database/collection.ts
var maxLimit = 1e3;
function makeDatabase(ctx, options) {
  return cloudbaseDatabase(
    {
      command: makeCommand(),
      Geo: makeGeo(),
      serverDate,
      RegExp: regExp,
      collection: (name) => new CollectionImpl(ctx, name)
    },
    options
  );
}
async function call2(ctx, collection, op, body) {
  await ctx.session.ready();
  const payload = Object.assign({}, body);
  if (ctx.appid) {
    payload.appid = ctx.appid;
  }
  const res = await ctx.pb.send("/api/database/" + encodeURIComponent(collection) + "/" + op, {
    method: "POST",
    body: payload,
    // Two CloudBase-style requests on one collection at once must both answer.
    requestKey: null
  });
  return decodeValue(res);
}
var QueryImpl = class _QueryImpl {
  constructor(ctx, collectionName, state = { order: [] }) {
    this.ctx = ctx;
    this.collectionName = collectionName;
    this.state = state;
    if (typeof collectionName !== "string" || !collectionName) {
      throw unsupported("db.collection() needs a collection name.");
    }
  }
  with(change) {
    return new _QueryImpl(this.ctx, this.collectionName, Object.assign({}, this.state, change));
  }
  where(condition) {
    if (!(condition instanceof QueryCmd) && !isPlainObject(condition)) {
      throw invalidQuery("查询参数必须为对象: where() takes an object of field conditions; where({}) matches every record.");
    }
    if (isPlainObject(condition)) {
      const keys = Object.keys(condition);
      if (keys.length > 0 && keys.every((key) => condition[key] === void 0)) {
        throw invalidQuery(
          "查询参数对象值不能均为undefined: every value of the where() object is undefined; it would match every record, so it is refused (where({}) matches every record)."
        );
      }
    }
    encodeQuery(condition);
    return this.with({ where: condition });
  }
  orderBy(field, order = "asc") {
    if (typeof field !== "string" || !field) {
      throw unsupported("orderBy() takes a field name.");
    }
    if (order !== "asc" && order !== "desc") {
      throw unsupported(`orderBy(): the order is "asc" or "desc", not "${order}".`);
    }
    return this.with({ order: this.state.order.concat({ field, desc: order === "desc" }) });
  }
  skip(n2) {
    if (!isCount(n2, 0)) {
      throw unsupported("skip() takes a whole number >= 0.");
    }
    return this.with({ skip: n2 });
  }
  limit(n2) {
    if (!isCount(n2, 1)) {
      throw unsupported("limit() takes a whole number >= 1.");
    }
    return this.with({ limit: Math.min(n2, maxLimit) });
  }
  field(projection) {
    if (!isPlainObject(projection)) {
      throw unsupported("field() takes an object: { name: true } to return, { name: false } to leave out.");
    }
    const encoded = {};
    for (const key of Object.keys(projection)) {
      const value = projection[key];
      if (value === void 0) {
        continue;
      }
      encoded[key] = isPlainObject(value) ? value : value ? 1 : 0;
    }
    return this.with({ projection: encoded });
  }
  async get() {
    const res = await call2(this.ctx, this.collectionName, "get", this.readBody());
    return { data: res.data, errMsg: "collection.get:ok" };
  }
  async count() {
    const res = await call2(this.ctx, this.collectionName, "count", { query: this.query() });
    return { total: res.total, errMsg: "collection.count:ok" };
  }
  async update(options) {
    this.needsWhere("update()");
    const data = encodeUpdate(options && options.data, "where().update()");
    const res = await call2(this.ctx, this.collectionName, "update", { query: this.query(), data });
    return { stats: { updated: res.updated }, errMsg: "collection.update:ok" };
  }
  async remove() {
    this.needsWhere("remove()");
    const res = await call2(this.ctx, this.collectionName, "remove", { query: this.query() });
    return { stats: { removed: res.removed }, errMsg: "collection.remove:ok" };
  }
  watch(options) {
    if (!options || typeof options.onChange !== "function" || typeof options.onError !== "function") {
      throw unsupported("watch() needs { onChange(snapshot), onError(error) }.");
    }
    const where = this.state.where;
    if (where !== void 0) {
      new FilterCompiler("").compile(where);
    }
    const pb = this.ctx.pb;
    const filter = (userId) => {
      if (where === void 0) {
        return "";
      }
      const compiled = new FilterCompiler(userId).compile(where);
      return compiled.expr ? pb.filter(compiled.expr, compiled.params) : "";
    };
    const order = this.state.order.map((o) => {
      const name = o.field === "_id" ? "id" : o.field === "_openid" ? "owner" : o.field;
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
        throw unsupported(`watch(): orderBy("${o.field}") takes a top-level field.`);
      }
      return (o.desc ? "-" : "") + name;
    });
    let fields;
    const projection = this.state.projection;
    if (projection && Object.keys(projection).length) {
      const names = ["id"];
      for (const key of Object.keys(projection)) {
        const name = key === "_id" ? "id" : key === "_openid" ? "owner" : key;
        if (projection[key] !== 1 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
          if (name === "id" && projection[key] === 0) {
            continue;
          }
          throw unsupported("watch(): field() lists top-level fields to return.");
        }
        if (names.indexOf(name) < 0) {
          names.push(name);
        }
      }
      for (const term of order) {
        const top = term.replace(/^-/, "");
        if (names.indexOf(top) < 0) {
          names.push(top);
        }
      }
      fields = names.join(",");
    }
    return this.ctx.realtime.watch(
      { collection: this.collectionName, filter, order, fields, skip: this.state.skip || 0, limit: this.state.limit, appid: this.ctx.appid },
      options
    );
  }
  query() {
    return this.state.where === void 0 ? {} : encodeQuery(this.state.where);
  }
  readBody() {
    const body = { query: this.query() };
    if (this.state.order.length) {
      body.order = this.state.order;
    }
    if (this.state.skip) {
      body.skip = this.state.skip;
    }
    if (this.state.limit !== void 0) {
      body.limit = this.state.limit;
    }
    if (this.state.projection) {
      body.projection = this.state.projection;
    }
    return body;
  }
  /**
   * needsWhere: update() and remove() change every match. As CloudBase,
   * orderBy(), skip(), limit() and field() in the chain do not apply to
   * them (its own tests remove every match of where().skip(n).remove()).
   */
  needsWhere(op) {
    if (this.state.where === void 0) {
      throw unsupported(`${op} needs where(): collection.where({...}).${op}`);
    }
  }
};
function isCount(n2, min) {
  return typeof n2 === "number" && Math.floor(n2) === n2 && n2 >= min;
}
var CollectionImpl = class extends QueryImpl {
  constructor(ctx, name) {
    super(ctx, name);
  }
  doc(id) {
    return new DocumentImpl(this.ctx, this.collectionName, id);
  }
  async add(options) {
    const data = options && options.data;
    if (!isPlainObject(data) && !(Array.isArray(data) && data.length > 0)) {
      throw unsupported("add() takes { data: { ... } } or { data: [{ ... }, ...] }.");
    }
    const res = await call2(this.ctx, this.collectionName, "add", { data: encodeValue(data, "add()") });
    if (Array.isArray(data)) {
      return { _ids: res.ids, errMsg: "collection.add:ok" };
    }
    return { _id: res.ids[0], errMsg: "collection.add:ok" };
  }
  /** The aggregation pipeline: aggregate().match(...).group(...).end(). */
  aggregate() {
    return new AggregateImpl({
      collection: this.collectionName,
      send: (pipeline) => call2(this.ctx, this.collectionName, "aggregate", { pipeline })
    });
  }
};
var DocumentImpl = class _DocumentImpl {
  constructor(ctx, collectionName, _id, projection) {
    this.ctx = ctx;
    this.collectionName = collectionName;
    this._id = _id;
    this.projection = projection;
    if (typeof _id === "number") {
      throw unsupported(`doc(${_id}): ids are strings here (PocketBase stores ids as text): write doc(String(${_id})), that is doc("${_id}").`);
    }
    if (typeof _id !== "string" || !_id) {
      throw unsupported("doc() needs a record id.");
    }
  }
  field(projection) {
    const query = new QueryImpl(this.ctx, this.collectionName).field(projection);
    return new _DocumentImpl(this.ctx, this.collectionName, this._id, query.state.projection);
  }
  async get() {
    const body = { query: { _id: this._id }, limit: 1 };
    if (this.projection) {
      body.projection = this.projection;
    }
    const res = await call2(this.ctx, this.collectionName, "get", body);
    if (!res.data.length) {
      throw new WxbaseError("The requested resource wasn't found.", { status: 404 });
    }
    return { data: res.data[0], errMsg: "document.get:ok" };
  }
  /** A record that is missing or not the user's updates 0, as in CloudBase. */
  async update(options) {
    const data = encodeUpdate(options && options.data, "doc().update()");
    const res = await call2(this.ctx, this.collectionName, "update", { query: { _id: this._id }, data });
    return { stats: { updated: res.updated }, errMsg: "document.update:ok" };
  }
  /** set replaces the document (fields left out go back to empty), or creates it with this id. */
  async set(options) {
    const data = options && options.data;
    if (!isPlainObject(data)) {
      throw unsupported("set() takes { data: { ... } }.");
    }
    const res = await call2(this.ctx, this.collectionName, "set", {
      id: this._id,
      data: encodeValue(data, "set()")
    });
    return { _id: this._id, stats: { updated: res.updated, created: res.created }, errMsg: "document.set:ok" };
  }
  /** A record that is missing or not the user's removes 0, as in CloudBase. */
  async remove() {
    const res = await call2(this.ctx, this.collectionName, "remove", { query: { _id: this._id } });
    return { stats: { removed: res.removed }, errMsg: "document.remove:ok" };
  }
  watch(options) {
    return new QueryImpl(this.ctx, this.collectionName).where({ _id: this._id }).watch(options);
  }
};
withCallbacks(QueryImpl.prototype, "collection", ["get", "count", "update", "remove"]);
withCallbacks(CollectionImpl.prototype, "collection", ["add"]);
withCallbacks(DocumentImpl.prototype, "document", ["get", "set", "update", "remove"]);

// src/wx.ts
function wxFailure(api, code, err) {
  return new WxbaseError(`${api} failed: ${err.errMsg}`, { code, data: { errMsg: err.errMsg } });
}
function wxLogin() {
  return new Promise((resolve, reject) => {
    wx.login({
      success: (res) => {
        if (res.code) {
          resolve(res.code);
        } else {
          reject(wxFailure("wx.login", "wx_login_failed", res));
        }
      },
      fail: (err) => reject(wxFailure("wx.login", "wx_login_failed", err))
    });
  });
}
function wxCheckSession() {
  return new Promise((resolve) => {
    wx.checkSession({
      success: () => resolve(true),
      fail: () => resolve(false)
    });
  });
}
function wxAppId() {
  try {
    return wx.getAccountInfoSync().miniProgram.appId || "";
  } catch (e2) {
    return "";
  }
}
function wxUploadFile(req) {
  return new Promise((resolve, reject) => {
    wx.uploadFile({
      url: req.url,
      filePath: req.filePath,
      name: req.name,
      formData: req.formData,
      header: req.header,
      success: (res) => {
        let body = {};
        try {
          body = JSON.parse(res.data);
        } catch (e2) {
        }
        resolve({ status: res.statusCode, body });
      },
      fail: (err) => reject(wxFailure("wx.uploadFile", "wx_upload_failed", err))
    });
  });
}

// src/session.ts
var WxAuthStore = class extends BaseAuthStore {
  constructor(storageKey) {
    super();
    this.storageKey = storageKey;
    this.obtainedAt = 0;
    let stored = "";
    try {
      stored = wx.getStorageSync(this.storageKey);
    } catch (e2) {
    }
    if (stored && typeof stored === "object" && typeof stored.token === "string") {
      this.baseToken = stored.token;
      this.baseModel = stored.record || null;
      this.obtainedAt = stored.obtainedAt || Date.now();
    }
  }
  save(token, record) {
    if (token !== this.baseToken) {
      this.obtainedAt = Date.now();
    }
    super.save(token, record);
    const stored = { token: this.baseToken, record: this.baseModel, obtainedAt: this.obtainedAt };
    wx.setStorageSync(this.storageKey, stored);
  }
  clear() {
    super.clear();
    this.obtainedAt = 0;
    wx.removeStorageSync(this.storageKey);
  }
};
var Session = class {
  constructor(pb, store, options) {
    this.pb = pb;
    this.store = store;
    this.options = options;
    this.loginInFlight = null;
    this.refreshInFlight = null;
    /** How many network logins have succeeded: tells a caller whether one happened since it sent a request. */
    this.logins = 0;
  }
  /** login runs wx.login and the server's auth-with-wechat; concurrent calls share one. */
  login() {
    if (!this.loginInFlight) {
      const done = () => {
        this.loginInFlight = null;
      };
      this.loginInFlight = this.loginOnce().then(
        (result) => {
          done();
          return result;
        },
        (err) => {
          done();
          throw err;
        }
      );
    }
    return this.loginInFlight;
  }
  /** ensureLogin logs in only when the stored token is unusable or WeChat's session expired. */
  async ensureLogin() {
    if (this.loginInFlight) {
      return this.loginInFlight;
    }
    const state = this.tokenState();
    const wechatOK = this.options.mockUser ? true : await wxCheckSession();
    if ((state === "fresh" || state === "stale") && wechatOK) {
      if (state === "stale") {
        await this.refresh();
      }
      return { record: this.store.record, isNew: false };
    }
    return this.login();
  }
  /**
   * renew is a fresh login for a request sent when `logins` was `since` and
   * answered that it needs one: it joins a login in flight, and makes none
   * when one has finished since, so callers failing together share one.
   */
  async renew(since) {
    if (this.loginInFlight) {
      await this.loginInFlight;
      return;
    }
    if (this.logins === since) {
      await this.login();
    }
  }
  /** run calls send with a usable token, and once more after a re-login if it answers 401. */
  async run(send) {
    await this.ready();
    try {
      return await send();
    } catch (err) {
      const e2 = toWxbaseError(err);
      if (e2.status !== 401) {
        throw e2;
      }
      await this.login();
      try {
        return await send();
      } catch (err2) {
        throw toWxbaseError(err2);
      }
    }
  }
  /** ready logs in when there is no usable token and refreshes one near its expiry. */
  async ready() {
    if (this.loginInFlight) {
      await this.loginInFlight;
      return;
    }
    switch (this.tokenState()) {
      case "none":
      case "expired":
        await this.login();
        return;
      case "stale":
        await this.refresh();
        return;
    }
  }
  /**
   * renewToken refreshes the token now (or logs in if that fails): the
   * realtime socket calls it before the token it authenticated with runs
   * out, since a socket makes no requests that would refresh it.
   */
  renewToken() {
    if (this.loginInFlight) {
      return this.loginInFlight.then(() => void 0);
    }
    return this.refresh();
  }
  tokenState() {
    const token = this.store.token;
    const exp = token ? Number(getTokenPayload(token).exp) : 0;
    if (!exp) {
      return "none";
    }
    const now = Date.now() / 1e3;
    const remaining = exp - now;
    if (remaining <= 0) {
      return "expired";
    }
    let within = this.options.refreshWithin;
    if (within === void 0) {
      within = (exp - this.store.obtainedAt / 1e3) / 4;
    }
    return remaining < within ? "stale" : "fresh";
  }
  /** refresh swaps a token near its expiry for a new one; if that fails, it logs in. */
  refresh() {
    if (!this.refreshInFlight) {
      const path = `/api/collections/${encodeURIComponent(this.options.usersCollection)}/auth-refresh`;
      this.refreshInFlight = this.pb.send(path, { method: "POST", requestKey: null }).then(
        (res) => {
          this.store.save(res.token, res.record);
        },
        () => this.login().then(() => void 0)
      ).then(
        () => {
          this.refreshInFlight = null;
        },
        (err) => {
          this.refreshInFlight = null;
          throw err;
        }
      );
    }
    return this.refreshInFlight;
  }
  async loginOnce() {
    const code = this.options.mockUser ? mockCode(this.options.mockUser) : await wxLogin();
    const body = { code };
    if (this.options.appid) {
      body.appid = this.options.appid;
    }
    const path = `/api/collections/${encodeURIComponent(this.options.usersCollection)}/auth-with-wechat`;
    const res = await this.pb.send(path, { method: "POST", body, headers: { Authorization: "" }, requestKey: null });
    if (!res || typeof res.token !== "string" || !res.record) {
      throw new WxbaseError("The server's login answer has no token.", { code: "wxbase_bad_login_answer" });
    }
    this.store.save(res.token, res.record);
    this.logins++;
    const meta = res.meta || {};
    const result = { record: res.record, isNew: !!meta.isNew };
    if (meta.openid) {
      result.openid = meta.openid;
    }
    if (meta.unionid) {
      result.unionid = meta.unionid;
    }
    return result;
  }
};
function mockCode(user) {
  return `mock:${user}:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

// src/realtime.ts
var pingEvery = 25e3;
var firstRetry = 1e3;
var maxRetry = 3e4;
var maxDelay = 2147483647;
var Realtime = class {
  constructor(store, session, url) {
    this.store = store;
    this.session = session;
    this.url = url;
    this.watches = {};
    this.nextId = 0;
    this.socket = null;
    this.connecting = false;
    this.retry = null;
    this.attempts = 0;
    this.hidden = false;
    this.offline = false;
    /** After logout(): the socket waits for the next login (or a new watch). */
    this.waitingForToken = false;
    this.listening = false;
  }
  watch(spec, options) {
    const state = new WatchState("w" + ++this.nextId, spec, options);
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
      }
    };
  }
  /** listen subscribes, once, to what tells the socket to come back, and to token changes. */
  listen() {
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
  hasWatches() {
    return Object.keys(this.watches).length > 0;
  }
  /** resume reconnects now, skipping the backoff, if a socket is wanted and none is up. */
  resume() {
    if (this.hidden || this.offline || !this.hasWatches()) {
      return;
    }
    const sock = this.socket;
    if (sock) {
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
  connect() {
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
        this.connecting = false;
        this.scheduleReconnect();
      }
    );
  }
  open(logins) {
    const sock = { task: null, authed: false, user: "", sentToken: "", sent: {}, logins, ping: null, refresh: null };
    this.socket = sock;
    const task = wx.connectSocket({
      url: this.url,
      fail: (err) => this.closed(sock, 1006, err.errMsg, true)
    });
    if (!task) {
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
    task.onError((res) => this.closed(sock, 1006, res.errMsg, true));
  }
  send(sock, message) {
    if (!sock.task) {
      return;
    }
    sock.task.send({ data: JSON.stringify(message), fail: () => void 0 });
  }
  sendAuth(sock) {
    sock.sentToken = this.store.token;
    this.send(sock, { type: "auth", token: sock.sentToken });
  }
  sendWatch(sock, state) {
    let message;
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
  message(sock, data) {
    if (sock !== this.socket || typeof data !== "string") {
      return;
    }
    let msg;
    try {
      msg = JSON.parse(data);
    } catch (e2) {
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
        const state = msg.watch ? this.watches[msg.watch] : void 0;
        if (state) {
          this.drop(state);
          const code = String(msg.code || "watch_failed");
          state.fail(new WxbaseError(String(msg.message || "The watch failed."), { code, data: { code } }));
        }
        return;
      }
    }
  }
  authenticated(sock, msg) {
    sock.authed = true;
    sock.user = String(msg.user || "");
    this.attempts = 0;
    this.scheduleRefresh(sock, Number(msg.expires) * 1e3);
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
  scheduleRefresh(sock, expiresAt) {
    clearTimeout(sock.refresh);
    if (!expiresAt) {
      return;
    }
    const left = expiresAt - Date.now();
    const due = Date.now() + Math.max(0, left - Math.min(6e4, left / 4));
    const wait = () => {
      if (sock !== this.socket) {
        return;
      }
      const delay = due - Date.now();
      if (delay > 0) {
        sock.refresh = setTimeout(wait, Math.min(delay, maxDelay));
        return;
      }
      this.session.renewToken().catch(() => void 0);
    };
    wait();
  }
  tokenChanged(token, record) {
    const sock = this.socket;
    if (!token) {
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
      return;
    }
    if (record && sock.user && record.id !== sock.user) {
      this.shut();
      this.resume();
      return;
    }
    this.sendAuth(sock);
  }
  /** closed handles the end of a socket, whichever of fail, onError and onClose told it first. */
  closed(sock, code, reason, failed) {
    if (sock !== this.socket) {
      return;
    }
    this.socket = null;
    this.stop(sock);
    if (failed && sock.task) {
      try {
        sock.task.close({ code: 1e3 });
      } catch (e2) {
      }
    }
    const data = { closeCode: code, reason: reason || "" };
    switch (code) {
      case 4003:
        this.failAll(
          new WxbaseError("The user was deleted or their sign-in was revoked: the socket is closed; log in again and watch anew.", {
            code: "realtime_auth_revoked",
            data
          })
        );
        return;
      case 4e3:
        this.failAll(new WxbaseError(`The server refused the socket's messages: ${reason}`, { code: "realtime_protocol_error", data }));
        return;
      case 4001:
        this.connecting = true;
        this.session.renew(sock.logins).catch(() => void 0).then(() => {
          this.connecting = false;
          this.scheduleReconnect();
        });
        return;
      default:
        this.scheduleReconnect();
    }
  }
  stop(sock) {
    clearInterval(sock.ping);
    clearTimeout(sock.refresh);
    for (const id of Object.keys(this.watches)) {
      this.watches[id].restart();
    }
  }
  scheduleReconnect() {
    if (!this.hasWatches() || this.retry || this.socket || this.connecting) {
      return;
    }
    const delay = Math.min(maxRetry, firstRetry * Math.pow(2, this.attempts)) * (0.5 + Math.random() / 2);
    this.attempts++;
    this.retry = setTimeout(() => {
      this.retry = null;
      this.connect();
    }, delay);
  }
  /** shut closes the socket on purpose: no reconnect. */
  shut() {
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
      sock.task.close({ code: 1e3, reason: "closed by the client", fail: () => void 0 });
    }
  }
  /** remove is a watcher's close(): unwatch, and close the socket when it was the last. */
  remove(state) {
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
  drop(state) {
    delete this.watches[state.id];
    state.closed = true;
    if (this.socket) {
      delete this.socket.sent[state.id];
    }
    if (!this.hasWatches()) {
      this.shut();
    }
  }
  failAll(err) {
    const all = Object.keys(this.watches).map((id) => this.watches[id]);
    this.watches = {};
    clearTimeout(this.retry);
    this.retry = null;
    for (const state of all) {
      state.closed = true;
      state.fail(err);
    }
  }
};
var WatchState = class {
  constructor(id, spec, options) {
    this.id = id;
    this.spec = spec;
    this.options = options;
    this.closed = false;
    /** The whole result, in the query's order. */
    this.docs = [];
    /** What onChange last got (the skip/limit window of docs). */
    this.view = [];
    /** The initial snapshot's chunks so far. */
    this.chunks = null;
    this.ready = false;
  }
  message(userId) {
    this.restart();
    const message = { type: "watch", id: this.id, collection: this.spec.collection };
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
  restart() {
    this.chunks = null;
    this.ready = false;
  }
  fail(err) {
    deliver(() => this.options.onError(err));
  }
  snapshot(msg) {
    const snap = decodeValue(msg.snapshot || {});
    const changes = Array.isArray(snap.docChanges) ? snap.docChanges : [];
    if (snap.type === "init") {
      this.chunks = (this.chunks || []).concat(Array.isArray(snap.docs) ? snap.docs : []);
      if (msg.more) {
        return;
      }
      this.docs = this.chunks;
      this.chunks = null;
      this.ready = true;
      this.view = this.window();
      const docChanges2 = this.view.map((doc) => ({ docId: doc._id, doc, dataType: "init", queueType: "init" }));
      this.emit({ id: snap.id, type: "init", docs: this.view.slice(), docChanges: docChanges2 });
      return;
    }
    if (!this.ready) {
      return;
    }
    const out = [];
    for (const change of changes) {
      const i2 = indexOf(this.docs, change.docId);
      if (change.dataType === "remove") {
        if (i2 >= 0) {
          out.push(Object.assign({}, change, { doc: this.docs[i2] }));
          this.docs.splice(i2, 1);
        } else {
          out.push(change);
        }
      } else {
        if (i2 >= 0) {
          this.docs[i2] = change.doc;
        } else {
          this.docs.push(change.doc);
        }
        out.push(change);
      }
    }
    if (this.spec.order.length) {
      this.docs = sortDocs(this.docs, this.spec.order);
    }
    const windowed = this.spec.skip > 0 || this.spec.limit !== void 0;
    const before = this.view;
    this.view = windowed ? this.window() : this.docs;
    const docChanges = windowed ? windowChanges(before, this.view, out) : out;
    if (docChanges.length) {
      this.emit({ id: snap.id, docs: this.view.slice(), docChanges });
    }
  }
  window() {
    const { skip, limit } = this.spec;
    if (!skip && limit === void 0) {
      return this.docs;
    }
    return this.docs.slice(skip, limit === void 0 ? void 0 : skip + limit);
  }
  emit(snapshot) {
    if (!this.closed) {
      deliver(() => this.options.onChange(snapshot));
    }
  }
};
function deliver(call3) {
  try {
    call3();
  } catch (err) {
    setTimeout(() => {
      throw err;
    }, 0);
  }
}
function indexOf(docs, id) {
  for (let i2 = 0; i2 < docs.length; i2++) {
    if (docs[i2]._id === id) {
      return i2;
    }
  }
  return -1;
}
function windowChanges(before, after, changes) {
  const was = {};
  const is = {};
  const touched = {};
  before.forEach((doc) => was[doc._id] = doc);
  after.forEach((doc) => is[doc._id] = true);
  changes.forEach((c) => touched[c.docId] = true);
  const out = [];
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
function sortValue(doc, path) {
  const steps = path.split(".");
  if (steps[0] === "id") {
    steps[0] = "_id";
  }
  let value = doc;
  for (const step of steps) {
    if (value === null || typeof value !== "object") {
      return null;
    }
    value = value[step];
  }
  return value;
}
function typeRank(value) {
  if (value === null || value === void 0) {
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
function compareValues(a, b) {
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
function sortDocs(docs, order) {
  const terms = order.map((term) => term.charAt(0) === "-" ? { path: term.slice(1), dir: -1 } : { path: term.replace(/^\+/, ""), dir: 1 });
  return docs.map((doc, i2) => ({ doc, i: i2 })).sort((x, y) => {
    for (const term of terms) {
      const c = compareValues(sortValue(x.doc, term.path), sortValue(y.doc, term.path));
      if (c) {
        return c * term.dir;
      }
    }
    return x.i - y.i;
  }).map((entry) => entry.doc);
}

// src/wechat.ts
var sessionKeyExpired = "session_key_expired";
function makeWechat({ pb, session, store, appid }) {
  const withAppId = (body) => {
    return appid ? __spreadProps(__spreadValues({}, body), { appid }) : body;
  };
  return {
    /**
     * getPhoneNumber trades the getPhoneNumber button's code for the
     * user's number, which the server stores on the user as `phone`.
     */
    async getPhoneNumber(e2) {
      const detail = e2 && typeof e2 === "object" ? e2.detail : void 0;
      if (!detail || typeof detail !== "object") {
        throw unsupported('getPhoneNumber() takes the event of <button open-type="getPhoneNumber" bindgetphonenumber="...">.');
      }
      const code = detail.code;
      if (typeof code !== "string" || !code) {
        throw phoneFailure(detail);
      }
      const res = await pb.send("/api/wechat/phone", {
        method: "POST",
        body: withAppId({ code }),
        requestKey: null
      });
      const result = {
        phone: res.phone,
        purePhoneNumber: res.purePhoneNumber,
        countryCode: res.countryCode
      };
      const record = store.record;
      if (record && store.token) {
        store.save(store.token, __spreadProps(__spreadValues({}, record), { phone: result.phone }));
      }
      return result;
    },
    /**
     * decrypt has the server open encrypted data (wx.getWeRunData, share
     * info, ...) with the user's session_key. When WeChat has rotated that
     * key, it logs in again (a fresh wx.login) and retries once.
     */
    async decrypt(options) {
      if (!options || !nonEmpty(options.encryptedData) || !nonEmpty(options.iv)) {
        throw unsupported("decrypt() needs { encryptedData, iv } (strings, as wx returns them).");
      }
      const body = { encryptedData: options.encryptedData, iv: options.iv };
      if (options.rawData !== void 0) {
        body.rawData = options.rawData;
      }
      if (options.signature !== void 0) {
        body.signature = options.signature;
      }
      const send = () => pb.send("/api/wechat/decrypt", {
        method: "POST",
        body: withAppId(body),
        requestKey: null
      });
      await session.ready();
      const since = session.logins;
      let res;
      try {
        res = await send();
      } catch (err) {
        const e2 = toWxbaseError(err);
        if (e2.status !== 409 || e2.code !== sessionKeyExpired) {
          throw e2;
        }
        await session.renew(since);
        res = await send();
      }
      return { data: res.data };
    },
    /** checkSession tells whether the server's stored session_key is still valid. */
    async checkSession() {
      const res = await pb.send("/api/wechat/session", {
        method: "GET",
        query: appid ? { appid } : {},
        requestKey: null
      });
      return { valid: res.valid === true };
    }
  };
}
function nonEmpty(value) {
  return typeof value === "string" && value !== "";
}
function phoneFailure(detail) {
  const errMsg = typeof detail.errMsg === "string" ? detail.errMsg : "";
  const data = { errMsg };
  if (detail.errno !== void 0) {
    data.errno = detail.errno;
  }
  if (/deny|cancel/i.test(errMsg)) {
    return new WxbaseError(`The user declined to share the phone number (${errMsg}).`, { code: "wx_phone_denied", data });
  }
  if (/:fail/.test(errMsg)) {
    return new WxbaseError(`getPhoneNumber failed: ${errMsg}`, { code: "wx_phone_failed", data });
  }
  return new WxbaseError("The getPhoneNumber event has no code: it needs base library 2.21.2 or later.", { code: "wx_phone_failed", data });
}

// src/index.ts
function init(options) {
  if (!options || typeof options.baseURL !== "string" || !/^https?:\/\//.test(options.baseURL)) {
    throw unsupported('init() needs { baseURL: "https://..." }.');
  }
  const baseURL = options.baseURL.replace(/\/+$/, "");
  const store = new WxAuthStore(options.storageKey || "wxbase_auth");
  const pb = new WxbaseClient(baseURL, store);
  const appid = options.appid !== void 0 ? options.appid : wxAppId();
  const session = new Session(pb, store, {
    usersCollection: options.usersCollection || "users",
    appid,
    mockUser: options.mockUser,
    refreshWithin: options.refreshWithin
  });
  pb.session = session;
  const realtime = new Realtime(store, session, baseURL.replace(/^http/, "ws") + "/api/realtime/ws");
  const dbContext = { pb, session, appid, realtime };
  const databases = {};
  const database = (opts) => {
    const throwOnNotFound = !(opts && opts.throwOnNotFound === false);
    const key = String(throwOnNotFound);
    return databases[key] || (databases[key] = makeDatabase(dbContext, { throwOnNotFound }));
  };
  const wechat = makeWechat({ pb, session, store, appid });
  return {
    pb,
    login: () => session.login(),
    ensureLogin: () => session.ensureLogin(),
    logout: () => store.clear(),
    database,
    getPhoneNumber: wechat.getPhoneNumber,
    decrypt: wechat.decrypt,
    checkSession: wechat.checkSession,
    uploadFile(upload) {
      if (!upload || !upload.collection || !upload.field || !upload.filePath) {
        return Promise.reject(unsupported("uploadFile() needs { collection, field, filePath }."));
      }
      let url = `${baseURL}/api/collections/${encodeURIComponent(upload.collection)}/records`;
      if (upload.id) {
        url += "/" + encodeURIComponent(upload.id);
      }
      const formData = {};
      const data = upload.data || {};
      for (const key of Object.keys(data)) {
        formData[key] = String(data[key]);
      }
      const send = () => {
        const header = { Authorization: store.token };
        if (upload.id) {
          header[methodOverrideHeader] = "PATCH";
        }
        return wxUploadFile({
          url,
          filePath: upload.filePath,
          name: upload.field + (upload.append ? "+" : ""),
          formData,
          header
        }).then(({ status, body }) => {
          if (status >= 400) {
            throw new WxbaseError(body.message || `The upload failed with status ${status}.`, {
              status,
              data: body.data,
              response: body,
              url
            });
          }
          return body;
        });
      };
      return session.run(send);
    },
    fileURL(record, filename, opts = {}) {
      const id = record && (record.id || record._id);
      if (!id || !(record.collectionId || record.collectionName) || !filename) {
        throw unsupported("fileURL() needs a record with its id and collectionId (or collectionName), and a file name.");
      }
      const query = {};
      if (opts.thumb) {
        query.thumb = opts.thumb;
      }
      if (opts.token) {
        query.token = opts.token;
      }
      if (opts.download) {
        query.download = true;
      }
      const ref = { id, collectionId: record.collectionId || "", collectionName: record.collectionName || "" };
      return pb.files.getURL(ref, filename, query);
    },
    fileToken: () => pb.files.getToken({ requestKey: null }),
    async callFunction(call3) {
      if (!call3 || typeof call3.name !== "string" || !call3.name) {
        throw unsupported("callFunction() needs { name }.");
      }
      const result = await pb.send("/api/functions/" + encodeURIComponent(call3.name), {
        method: "POST",
        body: call3.data === void 0 ? {} : call3.data,
        // Calls of one function at once must not cancel each other.
        requestKey: null
      });
      return { result, errMsg: "cloud.callFunction:ok" };
    }
  };
}
