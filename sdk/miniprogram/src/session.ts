import PocketBase, { BaseAuthStore, getTokenPayload, RecordModel } from "pocketbase";
import type { LoginResult } from "../types/index";
import { WxbaseError, toWxbaseError } from "./errors";
import { wxCheckSession, wxLogin } from "./wx";

interface StoredAuth {
    token: string;
    record: RecordModel | null;
    /** When this device got the token (ms), to tell how long it lives. */
    obtainedAt: number;
}

/**
 * WxAuthStore is PocketBase's auth store kept in wx storage, so a session
 * survives an app restart.
 */
export class WxAuthStore extends BaseAuthStore {
    obtainedAt = 0;

    constructor(private readonly storageKey: string) {
        super();
        let stored: Partial<StoredAuth> | "" = "";
        try {
            stored = wx.getStorageSync(this.storageKey);
        } catch (e) {
            // Unreadable storage is no session.
        }
        if (stored && typeof stored === "object" && typeof stored.token === "string") {
            this.baseToken = stored.token;
            this.baseModel = stored.record || null;
            this.obtainedAt = stored.obtainedAt || Date.now();
        }
    }

    save(token: string, record?: RecordModel | null): void {
        // PocketBase saves the same token again when the user's own record
        // changes; only a new token restarts the lifetime clock.
        if (token !== this.baseToken) {
            this.obtainedAt = Date.now();
        }
        super.save(token, record);
        const stored: StoredAuth = { token: this.baseToken, record: this.baseModel, obtainedAt: this.obtainedAt };
        wx.setStorageSync(this.storageKey, stored);
    }

    clear(): void {
        super.clear();
        this.obtainedAt = 0;
        wx.removeStorageSync(this.storageKey);
    }
}

export interface SessionOptions {
    usersCollection: string;
    appid: string;
    mockUser?: string;
    refreshWithin?: number;
}

type TokenState = "none" | "expired" | "stale" | "fresh";

/**
 * Session keeps the user signed in: one shared login at a time, a refresh
 * before a token runs out, and one re-login when the server says 401.
 */
export class Session {
    private loginInFlight: Promise<LoginResult> | null = null;
    private refreshInFlight: Promise<void> | null = null;
    /** How many network logins have succeeded: tells a caller whether one happened since it sent a request. */
    logins = 0;

    constructor(
        private readonly pb: PocketBase,
        private readonly store: WxAuthStore,
        private readonly options: SessionOptions,
    ) {}

    /** login runs wx.login and the server's auth-with-wechat; concurrent calls share one. */
    login(): Promise<LoginResult> {
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
                },
            );
        }
        return this.loginInFlight;
    }

    /** ensureLogin logs in only when the stored token is unusable or WeChat's session expired. */
    async ensureLogin(): Promise<LoginResult> {
        if (this.loginInFlight) {
            return this.loginInFlight;
        }
        const state = this.tokenState();
        // Without WeChat (mock mode) there is no WeChat session to check.
        const wechatOK = this.options.mockUser ? true : await wxCheckSession();
        if ((state === "fresh" || state === "stale") && wechatOK) {
            if (state === "stale") {
                await this.refresh();
            }
            return { record: this.store.record as RecordModel, isNew: false };
        }
        return this.login();
    }

    /**
     * renew is a fresh login for a request sent when `logins` was `since` and
     * answered that it needs one: it joins a login in flight, and makes none
     * when one has finished since, so callers failing together share one.
     */
    async renew(since: number): Promise<void> {
        if (this.loginInFlight) {
            await this.loginInFlight;
            return;
        }
        if (this.logins === since) {
            await this.login();
        }
    }

    /** run calls send with a usable token, and once more after a re-login if it answers 401. */
    async run<T>(send: () => Promise<T>): Promise<T> {
        await this.ready();
        try {
            return await send();
        } catch (err) {
            const e = toWxbaseError(err);
            if (e.status !== 401) {
                throw e;
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
    async ready(): Promise<void> {
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
    renewToken(): Promise<void> {
        if (this.loginInFlight) {
            return this.loginInFlight.then(() => undefined);
        }
        return this.refresh();
    }

    private tokenState(): TokenState {
        const token = this.store.token;
        const exp = token ? Number(getTokenPayload(token).exp) : 0;
        if (!exp) {
            return "none";
        }
        const now = Date.now() / 1000;
        const remaining = exp - now;
        if (remaining <= 0) {
            return "expired";
        }
        let within = this.options.refreshWithin;
        if (within === undefined) {
            within = (exp - this.store.obtainedAt / 1000) / 4;
        }
        return remaining < within ? "stale" : "fresh";
    }

    /** refresh swaps a token near its expiry for a new one; if that fails, it logs in. */
    private refresh(): Promise<void> {
        if (!this.refreshInFlight) {
            const path = `/api/collections/${encodeURIComponent(this.options.usersCollection)}/auth-refresh`;
            this.refreshInFlight = this.pb
                .send(path, { method: "POST", requestKey: null })
                .then(
                    (res: any) => {
                        this.store.save(res.token, res.record);
                    },
                    () => this.login().then(() => undefined),
                )
                .then(
                    () => {
                        this.refreshInFlight = null;
                    },
                    (err) => {
                        this.refreshInFlight = null;
                        throw err;
                    },
                );
        }
        return this.refreshInFlight;
    }

    private async loginOnce(): Promise<LoginResult> {
        const code = this.options.mockUser ? mockCode(this.options.mockUser) : await wxLogin();
        const body: { code: string; appid?: string } = { code };
        if (this.options.appid) {
            body.appid = this.options.appid;
        }
        const path = `/api/collections/${encodeURIComponent(this.options.usersCollection)}/auth-with-wechat`;
        // A stale token must not ride along: send none.
        const res: any = await this.pb.send(path, { method: "POST", body, headers: { Authorization: "" }, requestKey: null });
        if (!res || typeof res.token !== "string" || !res.record) {
            throw new WxbaseError("The server's login answer has no token.", { code: "wxbase_bad_login_answer" });
        }
        this.store.save(res.token, res.record);
        this.logins++;
        const meta = res.meta || {};
        const result: LoginResult = { record: res.record, isNew: !!meta.isNew };
        if (meta.openid) {
            result.openid = meta.openid;
        }
        if (meta.unionid) {
            result.unionid = meta.unionid;
        }
        return result;
    }
}

/** mockCode is a code the --wechat-mock server accepts once, as that user. */
function mockCode(user: string): string {
    return `mock:${user}:${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}
