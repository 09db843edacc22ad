// wxbase-miniprogram: the official PocketBase JS SDK with WeChat adapters,
// plus a wx.cloud.database()-style facade. Built into one CommonJS file,
// miniprogram_dist/index.js, by scripts/build.mjs.
import PocketBase, { RecordModel } from "pocketbase";
import type {
    CallFunctionOptions,
    CallFunctionResult,
    Database,
    DatabaseOptions,
    FileRecord,
    FileURLOptions,
    InitOptions,
    UploadFileOptions,
    WxbaseApp,
} from "../types/index";
import { methodOverrideHeader } from "./adapters/wx-fetch";
import { WxbaseClient } from "./client";
import { makeDatabase } from "./database/collection";
import { WxbaseError, unsupported } from "./errors";
import { Session, WxAuthStore } from "./session";
import { Realtime } from "./realtime";
import { makeWechat } from "./wechat";
import { wxAppId, wxUploadFile } from "./wx";

export { PocketBase, WxbaseError };

/** init creates the SDK for one wxbase server. */
export function init(options: InitOptions): WxbaseApp {
    if (!options || typeof options.baseURL !== "string" || !/^https?:\/\//.test(options.baseURL)) {
        throw unsupported('init() needs { baseURL: "https://..." }.');
    }
    const baseURL = options.baseURL.replace(/\/+$/, "");
    const store = new WxAuthStore(options.storageKey || "wxbase_auth");
    const pb = new WxbaseClient(baseURL, store);
    const appid = options.appid !== undefined ? options.appid : wxAppId();
    const session = new Session(pb, store, {
        usersCollection: options.usersCollection || "users",
        appid,
        mockUser: options.mockUser,
        refreshWithin: options.refreshWithin,
    });
    pb.session = session;
    const realtime = new Realtime(store, session, baseURL.replace(/^http/, "ws") + "/api/realtime/ws");
    const dbContext = { pb, session, appid, realtime };
    // One database per distinct options: throwOnNotFound is the one that matters.
    const databases: { [throwOnNotFound: string]: Database } = {};
    const database = (opts?: DatabaseOptions): Database => {
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

        uploadFile(upload: UploadFileOptions): Promise<RecordModel> {
            if (!upload || !upload.collection || !upload.field || !upload.filePath) {
                return Promise.reject(unsupported("uploadFile() needs { collection, field, filePath }."));
            }
            let url = `${baseURL}/api/collections/${encodeURIComponent(upload.collection)}/records`;
            if (upload.id) {
                url += "/" + encodeURIComponent(upload.id);
            }
            const formData: { [key: string]: string } = {};
            const data = upload.data || {};
            for (const key of Object.keys(data)) {
                formData[key] = String(data[key]);
            }
            // Each try reads the token anew: a re-login replaces it.
            const send = () => {
                const header: { [key: string]: string } = { Authorization: store.token };
                if (upload.id) {
                    // wx.uploadFile only POSTs; the server reads this as the PATCH of an update.
                    header[methodOverrideHeader] = "PATCH";
                }
                return wxUploadFile({
                    url,
                    filePath: upload.filePath,
                    name: upload.field + (upload.append ? "+" : ""),
                    formData,
                    header,
                }).then(({ status, body }) => {
                    if (status >= 400) {
                        throw new WxbaseError(body.message || `The upload failed with status ${status}.`, {
                            status,
                            data: body.data,
                            response: body,
                            url,
                        });
                    }
                    return body as RecordModel;
                });
            };
            return session.run(send);
        },

        fileURL(record: FileRecord, filename: string, opts: FileURLOptions = {}): string {
            const id = record && (record.id || record._id);
            if (!id || !(record.collectionId || record.collectionName) || !filename) {
                throw unsupported("fileURL() needs a record with its id and collectionId (or collectionName), and a file name.");
            }
            const query: { [key: string]: any } = {};
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

        async callFunction<T = any>(call: CallFunctionOptions): Promise<CallFunctionResult<T>> {
            if (!call || typeof call.name !== "string" || !call.name) {
                throw unsupported("callFunction() needs { name }.");
            }
            const result = await pb.send<T>("/api/functions/" + encodeURIComponent(call.name), {
                method: "POST",
                body: call.data === undefined ? {} : call.data,
                // Calls of one function at once must not cancel each other.
                requestKey: null,
            });
            return { result, errMsg: "cloud.callFunction:ok" };
        },
    };
}
