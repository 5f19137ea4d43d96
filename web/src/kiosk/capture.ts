// The camera side of the kiosk (REQ D1, D2, S2): the camera opens only inside a capture session
// the person's tap opened, frames go to that session one at a time, and the tracks stop the
// moment a result, the timeout, a cancel or the choice of another method ends it. Nothing of a
// frame is kept in the page: each canvas is cleared once its bytes are sent.
import type { Api, ApiError } from '../common/api';
import { asApiError } from '../common/api';

// One frame's answer, as the kiosk needs it (docs/devices.md, POST /v1/sessions/{id}/frames).
export interface FrameAnswer {
  outcome: string;
  match?: boolean;
  quality?: Record<string, unknown>;
  liveness?: Record<string, unknown>;
  template_id?: number;
  consent_id?: number;
  expires_at?: string;
}

export type CaptureEnd =
  | { kind: 'result'; answer: FrameAnswer }
  | { kind: 'timeout' }
  | { kind: 'error'; error: ApiError }
  | { kind: 'stopped' };

export interface CaptureCallbacks {
  hint(answer: FrameAnswer | null): void;  // null: checking a frame
  tick(secondsLeft: number): void;
  end(e: CaptureEnd): void;
}

// Base64 of bytes (chunked: no call-stack limit for large frames).
function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

// Sends one JPEG or PNG to the session; the server decodes it only while the capture is open.
export async function sendFrame(api: Api, session: string, bytes: Uint8Array): Promise<
    { answer: FrameAnswer } | { error: ApiError; status: number }> {
  const { data, error, response } = await api.POST('/v1/sessions/{id}/frames', {
    params: { path: { id: session } },
    body: { image_base64: base64(bytes) },
  });
  bytes.fill(0);  // REQ S2: the page keeps nothing of the frame
  if (error || !data) return { error: asApiError(error, response.status), status: response.status };
  return { answer: data as FrameAnswer };
}

// A running capture: camera -> frames -> an end. stop() ends it at once (tracks stopped).
export class Capture {
  private stream: MediaStream | null = null;
  private done = false;
  private timer = 0;
  private ticker = 0;

  constructor(private api: Api, private session: string, private expiresAt: number,
              private video: HTMLVideoElement, private cb: CaptureCallbacks) {}

  // Opens the camera (getUserMedia) and starts sending frames; false if there is no camera.
  async start(): Promise<boolean> {
    this.tickNow();
    this.ticker = window.setInterval(() => this.tickNow(), 1000);
    if (!navigator.mediaDevices?.getUserMedia) return false;
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'user' }, audio: false });
    } catch {
      return false;
    }
    if (this.done) {  // ended while the camera was opening
      this.stopTracks();
      return true;
    }
    this.video.srcObject = this.stream;
    await this.video.play().catch(() => undefined);
    this.cb.hint(null);  // the camera is on: "checking…" until the first frame's answer
    this.schedule(300);
    return true;
  }

  // A photo chosen by the person instead of the camera (same session, same rules).
  async sendPhoto(file: File): Promise<void> {
    if (this.done) return;
    this.cb.hint(null);
    const r = await sendFrame(this.api, this.session, new Uint8Array(await file.arrayBuffer()));
    this.handle(r);
  }

  // Ends the capture on the page's side: the camera's tracks stop now (REQ D1, D7).
  stop(): void {
    if (this.done) return;
    this.finish({ kind: 'stopped' });
  }

  private tickNow(): void {
    const left = Math.max(0, Math.ceil((this.expiresAt - Date.now()) / 1000));
    this.cb.tick(left);
    if (left <= 0 && !this.done) this.finish({ kind: 'timeout' });
  }

  private schedule(ms: number): void {
    if (this.done) return;
    this.timer = window.setTimeout(() => void this.grab(), ms);
  }

  private async grab(): Promise<void> {
    if (this.done || !this.stream) return;
    const w = this.video.videoWidth, h = this.video.videoHeight;
    if (!w || !h) return this.schedule(200);
    const canvas = document.createElement('canvas');
    canvas.width = w;
    canvas.height = h;
    const ctx = canvas.getContext('2d');
    if (!ctx) return this.schedule(500);
    ctx.drawImage(this.video, 0, 0, w, h);
    const blob = await new Promise<Blob | null>((res) => canvas.toBlob(res, 'image/jpeg', 0.92));
    ctx.clearRect(0, 0, w, h);
    canvas.width = canvas.height = 0;
    if (!blob || this.done) return this.schedule(500);
    this.cb.hint(null);
    const r = await sendFrame(this.api, this.session, new Uint8Array(await blob.arrayBuffer()));
    this.handle(r);
    this.schedule(600);
  }

  private handle(r: { answer: FrameAnswer } | { error: ApiError; status: number }): void {
    if (this.done) return;
    if ('error' in r) {
      // D1: the server says the capture timed out; anything else ends it with the error shown.
      if (r.error.requirement === 'D1') return this.finish({ kind: 'timeout' });
      if (r.status === 400) {  // an unusable frame (two faces, unreadable): say so, keep going
        this.cb.hint({ outcome: 'no_face' });
        return;
      }
      return this.finish({ kind: 'error', error: r.error });
    }
    const a = r.answer;
    if (a.outcome === 'no_face' || a.outcome === 'retake') {
      this.cb.hint(a);
      return;
    }
    this.finish({ kind: 'result', answer: a });
  }

  private stopTracks(): void {
    this.stream?.getTracks().forEach((track) => track.stop());
    this.stream = null;
    this.video.srcObject = null;
  }

  private finish(e: CaptureEnd): void {
    this.done = true;
    window.clearTimeout(this.timer);
    window.clearInterval(this.ticker);
    this.stopTracks();
    this.cb.end(e);
  }
}
