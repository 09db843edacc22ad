// Mini-programs have no DOM. PocketBase's declarations (./pocketbase.d.ts)
// name a few DOM types; these stand-ins describe what wxbase-miniprogram's
// WeChat adapters provide in their place, so that a mini-program project
// type-checks with neither "dom" in its lib nor skipLibCheck.

/** What the wx.request adapter resolves with in place of fetch's Response. */
export interface Response {
    readonly status: number;
    readonly ok: boolean;
    readonly url: string;
    readonly headers: { get(name: string): string | null };
    json(): Promise<any>;
    text(): Promise<string>;
}

/** The abort signal of the adapters' AbortController. */
export interface AbortSignal {
    readonly aborted: boolean;
    addEventListener(type: "abort", listener: () => void): void;
    removeEventListener(type: "abort", listener: () => void): void;
}

/** What the wx.request adapter accepts in place of fetch's RequestInit. */
export interface RequestInit {
    method?: string;
    headers?: { [key: string]: string };
    body?: any;
    signal?: AbortSignal | null;
}

export type RequestInfo = string;
export type URL = string;

/**
 * The adapters' FormData holds string fields only: wx.request cannot send
 * multipart bodies, so files go through app.uploadFile (wx.uploadFile).
 */
export interface FormData {
    append(name: string, value: string): void;
    set(name: string, value: string): void;
    get(name: string): string | null;
    getAll(name: string): string[];
    has(name: string): boolean;
    delete(name: string): void;
    forEach(callback: (value: string, name: string) => void): void;
}

/** Mini-programs have no Blob; PocketBase's file helpers that take one do not apply. */
export interface Blob {
    readonly size: number;
}

/** Mini-programs have no File: upload with app.uploadFile({ filePath }). */
export interface File extends Blob {
    readonly name: string;
}

/** Named by PocketBase's realtime service, which mini-programs cannot use. */
export type EventListener = (event: any) => void;
