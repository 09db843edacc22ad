import type { AbortSignal as AbortSignalShape } from "../../types/web-standins";

/** The signal half of AbortController: the fetch adapter aborts its wx.request task on it. */
class AbortSignal implements AbortSignalShape {
    aborted = false;
    private listeners: Array<() => void> = [];

    addEventListener(_type: "abort", listener: () => void): void {
        this.listeners.push(listener);
    }

    removeEventListener(_type: "abort", listener: () => void): void {
        this.listeners = this.listeners.filter((l) => l !== listener);
    }

    fire(): void {
        if (this.aborted) {
            return;
        }
        this.aborted = true;
        for (const listener of this.listeners.slice()) {
            listener();
        }
    }
}

/** AbortController for PocketBase's request cancellation (pb.cancelRequest, autoCancellation). */
export class AbortController {
    readonly signal = new AbortSignal();

    abort(): void {
        this.signal.fire();
    }
}
