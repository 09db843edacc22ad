// The WeChat server features: the user's phone number, encrypted open data
// decrypted with the session_key that never leaves the server, and whether
// that key is still valid. Each is one request to /api/wechat/*.
import type { RecordModel } from "pocketbase";
import type {
    AnyObject,
    DecryptOptions,
    DecryptResult,
    PhoneNumberButtonEvent,
    PhoneNumberResult,
    SessionCheckResult,
} from "../types/index";
import type { WxbaseClient } from "./client";
import { WxbaseError, toWxbaseError, unsupported } from "./errors";
import type { Session, WxAuthStore } from "./session";

export interface WechatDeps {
    pb: WxbaseClient;
    session: Session;
    store: WxAuthStore;
    /** Sent as the request's appid, as on login; "" sends none. */
    appid: string;
}

/** The server's answer when WeChat rotated the user's session_key. */
const sessionKeyExpired = "session_key_expired";

export function makeWechat({ pb, session, store, appid }: WechatDeps) {
    const withAppId = <T extends { [key: string]: any }>(body: T): T & { appid?: string } => {
        return appid ? { ...body, appid } : body;
    };

    return {
        /**
         * getPhoneNumber trades the getPhoneNumber button's code for the
         * user's number, which the server stores on the user as `phone`.
         */
        async getPhoneNumber(e: PhoneNumberButtonEvent): Promise<PhoneNumberResult> {
            const detail = e && typeof e === "object" ? e.detail : undefined;
            if (!detail || typeof detail !== "object") {
                throw unsupported('getPhoneNumber() takes the event of <button open-type="getPhoneNumber" bindgetphonenumber="...">.');
            }
            const code = detail.code;
            if (typeof code !== "string" || !code) {
                throw phoneFailure(detail);
            }
            const res = await pb.send<PhoneNumberResult>("/api/wechat/phone", {
                method: "POST",
                body: withAppId({ code }),
                requestKey: null,
            });
            const result: PhoneNumberResult = {
                phone: res.phone,
                purePhoneNumber: res.purePhoneNumber,
                countryCode: res.countryCode,
            };
            // The server saved the number on the user: keep the stored record in step.
            const record = store.record;
            if (record && store.token) {
                store.save(store.token, { ...record, phone: result.phone } as RecordModel);
            }
            return result;
        },

        /**
         * decrypt has the server open encrypted data (wx.getWeRunData, share
         * info, ...) with the user's session_key. When WeChat has rotated that
         * key, it logs in again (a fresh wx.login) and retries once.
         */
        async decrypt<T = AnyObject>(options: DecryptOptions): Promise<DecryptResult<T>> {
            if (!options || !nonEmpty(options.encryptedData) || !nonEmpty(options.iv)) {
                throw unsupported("decrypt() needs { encryptedData, iv } (strings, as wx returns them).");
            }
            const body: { [key: string]: string } = { encryptedData: options.encryptedData, iv: options.iv };
            if (options.rawData !== undefined) {
                body.rawData = options.rawData;
            }
            if (options.signature !== undefined) {
                body.signature = options.signature;
            }
            const send = () =>
                pb.send<{ data: T }>("/api/wechat/decrypt", {
                    method: "POST",
                    body: withAppId(body),
                    requestKey: null,
                });
            await session.ready();
            const since = session.logins;
            let res: { data: T };
            try {
                res = await send();
            } catch (err) {
                const e = toWxbaseError(err);
                if (e.status !== 409 || e.code !== sessionKeyExpired) {
                    throw e;
                }
                // The token is fine, the session_key is not: only a login
                // (wx.login's code) gives the server WeChat's current key.
                // Decrypts failing together share one; then one retry.
                await session.renew(since);
                res = await send();
            }
            return { data: res.data };
        },

        /** checkSession tells whether the server's stored session_key is still valid. */
        async checkSession(): Promise<SessionCheckResult> {
            const res = await pb.send<SessionCheckResult>("/api/wechat/session", {
                method: "GET",
                query: appid ? { appid } : {},
                requestKey: null,
            });
            return { valid: res.valid === true };
        },
    };
}

function nonEmpty(value: unknown): value is string {
    return typeof value === "string" && value !== "";
}

/** phoneFailure is the error for a button event without a code: the user refused, or wx failed. */
function phoneFailure(detail: PhoneNumberButtonEvent["detail"]): WxbaseError {
    const errMsg = typeof detail.errMsg === "string" ? detail.errMsg : "";
    const data: { [key: string]: any } = { errMsg };
    if (detail.errno !== undefined) {
        data.errno = detail.errno;
    }
    if (/deny|cancel/i.test(errMsg)) {
        return new WxbaseError(`The user declined to share the phone number (${errMsg}).`, { code: "wx_phone_denied", data });
    }
    if (/:fail/.test(errMsg)) {
        return new WxbaseError(`getPhoneNumber failed: ${errMsg}`, { code: "wx_phone_failed", data });
    }
    // An ok event without a code: a base library before 2.21.2 gives only encryptedData and iv.
    return new WxbaseError("The getPhoneNumber event has no code: it needs base library 2.21.2 or later.", { code: "wx_phone_failed", data });
}
