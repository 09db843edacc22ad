import type { FormData as FormDataShape } from "../../types/web-standins";

/**
 * FormData for a platform without one. PocketBase's batch API builds its
 * body as FormData (a "@jsonPayload" field); wx.request cannot send
 * multipart, so the fetch adapter turns an all-string FormData into JSON.
 */
export class FormData implements FormDataShape {
    private entries: Array<[string, string]> = [];

    append(name: string, value: string): void {
        this.entries.push([name, value]);
    }

    set(name: string, value: string): void {
        this.delete(name);
        this.append(name, value);
    }

    get(name: string): string | null {
        for (const [key, value] of this.entries) {
            if (key === name) {
                return value;
            }
        }
        return null;
    }

    getAll(name: string): string[] {
        return this.entries.filter(([key]) => key === name).map(([, value]) => value);
    }

    has(name: string): boolean {
        return this.entries.some(([key]) => key === name);
    }

    delete(name: string): void {
        this.entries = this.entries.filter(([key]) => key !== name);
    }

    forEach(callback: (value: string, name: string) => void): void {
        for (const [key, value] of this.entries) {
            callback(value, key);
        }
    }
}
