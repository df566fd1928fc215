/**
 * WebRTC data channels between volunteer pages, on the page's main thread (the only place
 * Chromium offers RTCPeerConnection). The router worker decides what to send and when to give
 * up; this file connects, moves bytes and reports channel state.
 *
 * Signaling (offer, answer, ICE candidates) goes through the scheduler as `signal` messages.
 * When both sides call at once (glare), the side with the smaller process id keeps its offer
 * and the other answers it. Messages are split into pieces of at most 64 KiB (chunks.ts), and
 * a sender waits for `bufferedamountlow` whenever the channel has more than HIGH_WATER bytes
 * queued, so a 50 MB value never floods the channel's buffer.
 *
 * Invariant: messages queued for a peer go out in order, on whichever connection to that
 * peer opens; a peer that is closed drops them (the router has sent them by the relay).
 */
import { MessageAssembler, splitMessage } from './chunks.js';

/** What signaling carries. */
type Signal =
  { kind: 'offer' | 'answer'; sdp: string } | { kind: 'candidate'; candidate: RTCIceCandidateInit };

interface Peer {
  readonly pc: RTCPeerConnection;
  readonly initiator: boolean;
  channel: RTCDataChannel | undefined;
  remoteSet: boolean;
  readonly early: RTCIceCandidateInit[];
  readonly assembler: MessageAssembler;
}

const LOW_WATER = 4 * 1024 * 1024;
const HIGH_WATER = 12 * 1024 * 1024;

/** The page's peer connections, by worker process id. */
export class RtcNetwork {
  private readonly peers = new Map<string, Peer>();
  private readonly queues = new Map<string, Uint8Array[][]>();
  private readonly pumping = new Set<string>();

  constructor(
    private readonly self: string,
    /** STUN/TURN servers and ICE policy (none needed on one machine or a LAN). */
    private readonly config: RTCConfiguration,
    private readonly signal: (to: string, data: Signal) => void,
    private readonly deliver: (peer: string, bytes: Uint8Array) => void,
    private readonly state: (peer: string, state: 'open' | 'closed') => void,
  ) {}

  /** Sends one message (a frame's chunks) to `peer`, connecting first if needed. */
  send(peer: string, chunks: Uint8Array[]): void {
    let queue = this.queues.get(peer);
    if (queue === undefined) this.queues.set(peer, (queue = []));
    queue.push(chunks);
    if (!this.peers.has(peer)) void this.call(peer);
    else void this.pump(peer);
  }

  /** Peers with an open channel. */
  get open(): string[] {
    return [...this.peers].filter(([, p]) => p.channel?.readyState === 'open').map(([id]) => id);
  }

  /** Signaling from `from`. */
  async onSignal(from: string, data: unknown): Promise<void> {
    const signal = data as Signal;
    try {
      if (signal.kind === 'offer') await this.answer(from, signal.sdp);
      else if (signal.kind === 'answer') {
        const peer = this.peers.get(from);
        if (peer === undefined || !peer.initiator || peer.remoteSet) return;
        await peer.pc.setRemoteDescription({ type: 'answer', sdp: signal.sdp });
        await this.remoteSet(peer);
      } else if (signal.kind === 'candidate') {
        const peer = this.peers.get(from);
        if (peer === undefined) return;
        if (peer.remoteSet) await peer.pc.addIceCandidate(signal.candidate);
        else peer.early.push(signal.candidate);
      }
    } catch {
      this.close(from);
    }
  }

  /** Closes the connection to `peer` and drops what was queued for it. */
  close(peer: string): void {
    const p = this.peers.get(peer);
    this.peers.delete(peer);
    this.queues.delete(peer);
    if (p === undefined) return;
    p.channel?.close();
    p.pc.close();
    this.state(peer, 'closed');
  }

  closeAll(): void {
    for (const peer of [...this.peers.keys()]) this.close(peer);
  }

  private async call(peer: string): Promise<void> {
    try {
      const p = this.connect(peer, true);
      this.attach(peer, p, p.pc.createDataChannel('bask', { ordered: true }));
      await p.pc.setLocalDescription(await p.pc.createOffer());
      this.signal(peer, { kind: 'offer', sdp: p.pc.localDescription?.sdp ?? '' });
    } catch {
      // No WebRTC here after all (disabled, blocked by policy): the router uses the relay.
      if (this.peers.has(peer)) this.close(peer);
      else {
        this.queues.delete(peer);
        this.state(peer, 'closed');
      }
    }
  }

  private async answer(from: string, sdp: string): Promise<void> {
    const mine = this.peers.get(from);
    if (mine !== undefined) {
      // Glare: the smaller id keeps its own offer; the other answers.
      if (mine.initiator && this.self < from) return;
      mine.pc.close();
      this.peers.delete(from);
    }
    const p = this.connect(from, false);
    p.pc.addEventListener('datachannel', (event) => this.attach(from, p, event.channel));
    await p.pc.setRemoteDescription({ type: 'offer', sdp });
    await this.remoteSet(p);
    await p.pc.setLocalDescription(await p.pc.createAnswer());
    this.signal(from, { kind: 'answer', sdp: p.pc.localDescription?.sdp ?? '' });
  }

  private connect(peer: string, initiator: boolean): Peer {
    const pc = new RTCPeerConnection(this.config);
    const p: Peer = {
      pc,
      initiator,
      channel: undefined,
      remoteSet: false,
      early: [],
      assembler: new MessageAssembler(),
    };
    this.peers.set(peer, p);
    pc.addEventListener('icecandidate', (event) => {
      if (event.candidate !== null)
        this.signal(peer, { kind: 'candidate', candidate: event.candidate.toJSON() });
    });
    pc.addEventListener('connectionstatechange', () => {
      if (
        (pc.connectionState === 'failed' || pc.connectionState === 'closed') &&
        this.peers.get(peer) === p
      )
        this.close(peer);
    });
    return p;
  }

  private async remoteSet(p: Peer): Promise<void> {
    p.remoteSet = true;
    for (const c of p.early.splice(0)) await p.pc.addIceCandidate(c);
  }

  private attach(peer: string, p: Peer, channel: RTCDataChannel): void {
    p.channel = channel;
    channel.binaryType = 'arraybuffer';
    channel.bufferedAmountLowThreshold = LOW_WATER;
    channel.addEventListener('open', () => {
      if (this.peers.get(peer) !== p) return;
      this.state(peer, 'open');
      void this.pump(peer);
    });
    channel.addEventListener('message', (event: MessageEvent) => {
      const data = event.data as ArrayBuffer;
      let whole: Uint8Array | undefined;
      try {
        whole = p.assembler.push(new Uint8Array(data));
      } catch {
        this.close(peer);
        return;
      }
      if (whole !== undefined) this.deliver(peer, whole);
    });
    channel.addEventListener('close', () => {
      if (this.peers.get(peer) === p) this.close(peer);
    });
  }

  /** Writes queued messages in order, pausing while the channel's buffer is full. */
  private async pump(peer: string): Promise<void> {
    if (this.pumping.has(peer)) return;
    this.pumping.add(peer);
    try {
      for (;;) {
        const channel = this.peers.get(peer)?.channel;
        const queue = this.queues.get(peer);
        if (channel?.readyState !== 'open' || queue === undefined || queue.length === 0) return;
        const message = queue.shift() as Uint8Array[];
        for (const piece of splitMessage(message)) {
          if (channel.bufferedAmount > HIGH_WATER) await drained(channel);
          if (channel.readyState !== 'open') return;
          channel.send(piece as Uint8Array<ArrayBuffer>);
        }
      }
    } finally {
      this.pumping.delete(peer);
    }
  }
}

function drained(channel: RTCDataChannel): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      channel.removeEventListener('bufferedamountlow', done);
      channel.removeEventListener('close', done);
      resolve();
    };
    channel.addEventListener('bufferedamountlow', done);
    channel.addEventListener('close', done);
  });
}
