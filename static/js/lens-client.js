// Interview Lens browser client: sends camera and microphone to the server over WebRTC and
// receives analysis results on the "analysis" data channel. No UI here: import it from any
// frontend.
//
//   import { LensClient } from "/static/js/lens-client.js";
//   const lens = new LensClient({ baseUrl: "" });
//   lens.addEventListener("message", (e) => console.log(e.detail));
//   lens.addEventListener("state", (e) => console.log(e.detail.state));
//   await lens.connect(await navigator.mediaDevices.getUserMedia(LensClient.mediaConstraints()));
//   lens.close();

/** States a client goes through, in order; "failed" and "closed" are final. */
export const STATES = ["idle", "connecting", "connected", "closed", "failed"];

export class LensError extends Error {
  /** @param {number|null} retryAfter seconds the server asked to wait (503s), else null */
  constructor(code, message, retryAfter = null) {
    super(message);
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

export class LensClient extends EventTarget {
  /**
   * @param {object} options
   * @param {string} [options.baseUrl] server origin; "" for the page's own origin
   * @param {RTCIceServer[]} [options.iceServers]
   * @param {number} [options.maxFramerate] frames per second the browser sends: 5 full
   *   analyses and the eye probe between them need 10 (docs/benchmarks.md, "Fewer packets")
   * @param {number} [options.maxWidth] the sender scales video down to this width
   * @param {number} [options.maxVideoBitrate] bits per second: at 250 kbit/s face landmarks
   *   at 640 px are as accurate as at 600 with half the packets (bench/video_bitrate.py)
   * @param {string | null} [options.sessionId] a session created by your backend (POST /api/sessions)
   * @param {string | null} [options.token] that session's token, when the server has auth on
   */
  constructor({
    baseUrl = "",
    iceServers = [],
    sessionId = null,
    token = null,
    maxFramerate = 10,
    maxWidth = 640,
    maxVideoBitrate = 250_000,
  } = {}) {
    super();
    this.baseUrl = baseUrl.replace(/\/$/, "");
    this.iceServers = iceServers;
    this.maxFramerate = maxFramerate;
    this.maxWidth = maxWidth;
    this.maxVideoBitrate = maxVideoBitrate;
    this.state = "idle";
    this.sessionId = sessionId;
    this.token = token;
    this.rttMs = null;
    this._pc = null;
    this._channel = null;
    this._heartbeat = null;
    this._pingSent = new Map();
    this._lastHeard = 0;
    this._heartbeatTimeout = 10;
    this._ending = false;
    this._chunks = new Map();
  }

  /** getUserMedia constraints that ask for no more than analysis needs. */
  static mediaConstraints({ width = 640, height = 480, frameRate = 15 } = {}) {
    return {
      video: { width: { ideal: width }, height: { ideal: height }, frameRate: { max: frameRate } },
      audio: { channelCount: 1, echoCancellation: true, noiseSuppression: false, autoGainControl: true },
    };
  }

  _setState(state, detail = {}) {
    if (this.state === state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: { state, ...detail } }));
  }

  /**
   * @param {string} code
   * @param {string} message
   * @param {number | null} [retryAfter]
   */
  _fail(code, message, retryAfter = null) {
    const error = new LensError(code, message, retryAfter);
    this.dispatchEvent(new CustomEvent("error", { detail: error }));
    this._teardown();
    this._setState("failed", { code, message, retryAfter });
    return error;
  }

  /** Connects with the given MediaStream; resolves once the data channel is open. */
  async connect(stream) {
    if (this.state === "connecting" || this.state === "connected") {
      throw new LensError("already_connected", "close this client before connecting again");
    }
    this._setState("connecting");
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    this._pc = pc;
    for (const track of stream.getTracks()) {
      const encodings =
        track.kind === "video"
          ? [{ maxFramerate: this.maxFramerate, maxBitrate: this.maxVideoBitrate,
               scaleResolutionDownBy: scaleFor(track, this.maxWidth) }]
          : undefined;
      // Audio both ways: an interview's questions come back on it (and the browser's echo
      // canceller keeps them out of the microphone).
      const direction = track.kind === "audio" ? "sendrecv" : "sendonly";
      pc.addTransceiver(track, { direction, streams: [stream], sendEncodings: encodings });
    }
    pc.addEventListener("track", (event) => {
      if (event.track.kind !== "audio") return;
      /** The interviewer's voice: play it (a "voice" event carries a MediaStream). */
      this.dispatchEvent(new CustomEvent("voice", { detail: new MediaStream([event.track]) }));
    });
    const channel = pc.createDataChannel("analysis");
    this._channel = channel;
    const opened = new Promise((resolve, reject) => {
      channel.onopen = resolve;
      pc.addEventListener("connectionstatechange", () => {
        if (pc.connectionState === "failed") reject(new LensError("ice_failed", "could not reach the server's media port (ICE failed)"));
      });
    });
    channel.onmessage = (event) => this._onMessage(event.data);
    channel.onclose = () => {
      if (this.state === "connected" && !this._ending) {
        this._fail("channel_closed", "the server closed the session");
      }
    };
    pc.addEventListener("connectionstatechange", () => {
      if (pc.connectionState === "failed" && this.state === "connected") {
        this._fail("connection_failed", "the media connection to the server failed");
      }
    });

    await pc.setLocalDescription(await pc.createOffer());
    await iceGatheringComplete(pc);
    const body = await this._offer();
    this.sessionId = body.session_id;
    await pc.setRemoteDescription({ type: body.type, sdp: body.sdp });
    try {
      await withTimeout(opened, 15000, "the data channel did not open within 15 s");
    } catch (err) {
      const { code, message } = /** @type {{ code?: string, message: string }} */ (err);
      throw this._fail(code ?? "connect_timeout", message);
    }
    this._lastHeard = performance.now();
    this._setState("connected", { sessionId: this.sessionId });
    this._startHeartbeat(2);
    return this.sessionId;
  }

  // POST /api/offer. A worker that is shutting down answers 503 "draining" with Retry-After:
  // the offer is sent again (up to 3 times; behind a load balancer it reaches another node).
  async _offer() {
    const headers = { "Content-Type": "application/json" };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    const local = this._pc?.localDescription;
    if (!local) throw this._fail("offer_failed", "no local description to offer");
    /** @type {{ sdp: string, type: string, session_id?: string }} */
    const offer = { sdp: local.sdp, type: local.type };
    if (this.sessionId) offer.session_id = this.sessionId;
    for (let attempt = 1; ; attempt++) {
      let response;
      try {
        response = await fetch(`${this.baseUrl}/api/offer`, {
          method: "POST",
          headers,
          body: JSON.stringify(offer),
        });
      } catch (err) {
        const { message } = /** @type {Error} */ (err);
        throw this._fail("server_unreachable", `cannot reach the server: ${message}`);
      }
      let body = null;
      try {
        body = await response.json();
      } catch {
        body = null;
      }
      if (response.ok) return body;
      const code = body?.error?.code ?? `http_${response.status}`;
      const message = body?.error?.message ?? `the server answered ${response.status}`;
      const wait = Number.parseInt(response.headers.get("Retry-After") ?? "", 10);
      const retryAfter = Number.isFinite(wait) ? wait : null;
      if (code === "draining" && attempt < 3) {
        await new Promise((resolve) => setTimeout(resolve, 1000 * (retryAfter ?? 1)));
        continue;
      }
      throw this._fail(response.status === 503 ? "server_full" : code, message, retryAfter);
    }
  }

  _startHeartbeat(intervalSeconds) {
    clearInterval(this._heartbeat ?? undefined);
    let id = 0;
    this._heartbeat = setInterval(() => {
      if (this._channel?.readyState !== "open") return;
      const silentFor = (performance.now() - this._lastHeard) / 1000;
      if (silentFor > this._heartbeatTimeout) {
        this._fail("server_silent", `no word from the server for ${silentFor.toFixed(0)} s`);
        return;
      }
      const pingId = ++id;
      this._pingSent.set(pingId, performance.now());
      this.send({ type: "ping", id: pingId });
    }, intervalSeconds * 1000);
  }

  _onMessage(data) {
    this._lastHeard = performance.now();
    let message;
    try {
      message = JSON.parse(data);
      if (message.type === "chunk") {
        // A message too large for one small packet: put it back together.
        const parts = this._chunks.get(message.id) ?? [];
        parts[message.index] = message.data;
        this._chunks.set(message.id, parts);
        if (parts.filter((p) => p !== undefined).length < message.count) return;
        this._chunks.delete(message.id);
        message = JSON.parse(parts.join(""));
      }
    } catch {
      return;
    }
    if (message.type === "session.ready") {
      this._heartbeatTimeout = message.heartbeat_timeout;
      this._startHeartbeat(message.heartbeat_interval);
    } else if (message.type === "pong" && this._pingSent.has(message.id)) {
      this.rttMs = performance.now() - this._pingSent.get(message.id);
      this._pingSent.delete(message.id);
    }
    this.dispatchEvent(new CustomEvent("message", { detail: message }));
    this.dispatchEvent(new CustomEvent(message.type, { detail: message }));
  }

  /** Sends a protocol message (an object) on the data channel. */
  send(message) {
    if (this._channel?.readyState === "open") this._channel.send(JSON.stringify(message));
  }

  _teardown() {
    clearInterval(this._heartbeat ?? undefined);
    this._heartbeat = null;
    if (this._channel) {
      this._channel.onclose = null;
      this._channel.close();
    }
    this._pc?.close();
    this._pc = null;
    this._channel = null;
  }

  /**
   * Ends the session the clean way: asks the server for its final report, waits for it (up to
   * `timeoutMs`), then closes. Resolves with the `session.report` message, or null if none came.
   */
  async end(timeoutMs = 5000) {
    if (this.state !== "connected") {
      this.close();
      return null;
    }
    const report = new Promise((resolve) => {
      const onReport = (event) => resolve(event.detail);
      this.addEventListener("session.report", onReport, { once: true });
      setTimeout(() => {
        this.removeEventListener("session.report", onReport);
        resolve(null);
      }, timeoutMs);
    });
    this._ending = true;
    this.send({ type: "end" });
    const message = await report;
    this.close();
    return message;
  }

  /** Closes the channel and the peer connection at once (no report is waited for). */
  close() {
    if (this.state === "closed" || this.state === "idle") return;
    this._teardown();
    this._setState("closed");
  }
}

function scaleFor(track, maxWidth) {
  const width = track.getSettings?.().width;
  return width && width > maxWidth ? width / maxWidth : 1;
}

function iceGatheringComplete(pc) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (pc.iceGatheringState === "complete") {
        pc.removeEventListener("icegatheringstatechange", check);
        resolve(undefined);
      }
    };
    pc.addEventListener("icegatheringstatechange", check);
    // Without STUN/TURN, host candidates are all there is; don't wait forever for the rest.
    setTimeout(resolve, 3000);
  });
}

function withTimeout(promise, ms, message) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new LensError("connect_timeout", message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
