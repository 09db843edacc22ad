// Promise wrappers for the few wx APIs the SDK calls directly.
import { WxbaseError } from "./errors";

function wxFailure(api: string, code: string, err: WechatMiniprogram.GeneralCallbackResult): WxbaseError {
    return new WxbaseError(`${api} failed: ${err.errMsg}`, { code, data: { errMsg: err.errMsg } });
}

/** wxLogin resolves a fresh wx.login code. */
export function wxLogin(): Promise<string> {
    return new Promise((resolve, reject) => {
        wx.login({
            success: (res) => {
                if (res.code) {
                    resolve(res.code);
                } else {
                    reject(wxFailure("wx.login", "wx_login_failed", res));
                }
            },
            fail: (err) => reject(wxFailure("wx.login", "wx_login_failed", err)),
        });
    });
}

/** wxCheckSession resolves whether WeChat's session (the server's session_key) is still valid. */
export function wxCheckSession(): Promise<boolean> {
    return new Promise((resolve) => {
        wx.checkSession({
            success: () => resolve(true),
            fail: () => resolve(false),
        });
    });
}

/** wxAppId is this mini-program's appid, or "" where wx cannot tell. */
export function wxAppId(): string {
    try {
        return wx.getAccountInfoSync().miniProgram.appId || "";
    } catch (e) {
        return "";
    }
}

export interface UploadRequest {
    url: string;
    filePath: string;
    name: string;
    formData: { [key: string]: string };
    header: { [key: string]: string };
}

/** wxUploadFile POSTs one file as multipart; resolves the HTTP status and the parsed JSON body. */
export function wxUploadFile(req: UploadRequest): Promise<{ status: number; body: any }> {
    return new Promise((resolve, reject) => {
        wx.uploadFile({
            url: req.url,
            filePath: req.filePath,
            name: req.name,
            formData: req.formData,
            header: req.header,
            success: (res) => {
                let body: any = {};
                try {
                    body = JSON.parse(res.data);
                } catch (e) {
                    // A non-JSON answer (a proxy's error page) keeps an empty body; the status tells.
                }
                resolve({ status: res.statusCode, body });
            },
            fail: (err) => reject(wxFailure("wx.uploadFile", "wx_upload_failed", err)),
        });
    });
}
