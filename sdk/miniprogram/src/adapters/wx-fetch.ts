import type { RequestInit, Response as ResponseShape } from "../../types/web-standins";
import { WxbaseError, unsupported } from "../errors";
import { FormData } from "./form-data";

type WxMethod = NonNullable<WechatMiniprogram.RequestOption["method"]>;

// The methods wx.request can send; PATCH is not among them.
const wxMethods: WxMethod[] = ["OPTIONS", "GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "CONNECT"];

/** The server turns this POST back into the PATCH that record updates need. */
export const methodOverrideHeader = "X-HTTP-Method-Override";

/** A fetch Response over what wx.request returned. */
class WxResponse implements ResponseShape {
    readonly ok: boolean;

    constructor(
        readonly url: string,
        readonly status: number,
        private readonly header: WechatMiniprogram.IAnyObject,
        private readonly body: string,
    ) {
        this.ok = status >= 200 && status < 300;
    }

    readonly headers = {
        get: (name: string): string | null => {
            const wanted = name.toLowerCase();
            for (const key of Object.keys(this.header || {})) {
                if (key.toLowerCase() === wanted) {
                    return String(this.header[key]);
                }
            }
            return null;
        },
    };

    text(): Promise<string> {
        return Promise.resolve(this.body);
    }

    json(): Promise<any> {
        return new Promise((resolve) => resolve(JSON.parse(this.body)));
    }
}

/** formDataToJSON sends an all-string FormData (PocketBase's batch body) as JSON. */
function formDataToJSON(form: FormData): { [key: string]: any } {
    const body: { [key: string]: any } = {};
    form.forEach((value, name) => {
        if (typeof value !== "string") {
            throw unsupported("wx.request cannot send files; upload them with app.uploadFile().");
        }
        if (name === "@jsonPayload") {
            Object.assign(body, JSON.parse(value));
        } else if (name in body) {
            body[name] = [].concat(body[name], value as any);
        } else {
            body[name] = value;
        }
    });
    return body;
}

/**
 * fetch over wx.request, injected by the bundler wherever the PocketBase SDK
 * says `fetch`. PATCH goes as POST with X-HTTP-Method-Override, which the
 * wxbase server accepts on record routes.
 */
export function fetch(url: string, init: RequestInit = {}): Promise<ResponseShape> {
    return new Promise((resolve, reject) => {
        let method = (init.method || "GET").toUpperCase();
        const header: { [key: string]: string } = Object.assign({}, init.headers);
        if (method === "PATCH") {
            method = "POST";
            header[methodOverrideHeader] = "PATCH";
        }
        if (wxMethods.indexOf(method as WxMethod) < 0) {
            throw unsupported(`wx.request cannot send ${method} requests.`);
        }

        let data = init.body;
        if (data instanceof FormData) {
            data = JSON.stringify(formDataToJSON(data));
            header["Content-Type"] = "application/json";
        }

        const signal = init.signal;
        if (signal && signal.aborted) {
            reject(aborted(url));
            return;
        }

        const task = wx.request({
            url,
            method: method as WxMethod,
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
                        data: { errMsg: err.errMsg, errno: err.errno },
                    }),
                );
            },
        });
        if (signal) {
            signal.addEventListener("abort", () => task.abort());
        }
    });
}

function aborted(url: string): WxbaseError {
    return new WxbaseError("The request was cancelled.", { code: "request_aborted", url, isAbort: true });
}
