import Foundation
import Synchronization

/// Request counters and a window of recent latencies for `stats`.
final class DaemonStats: Sendable {
    let started = Date()
    private let state = Mutex(State())

    private struct State {
        var requests = 0
        var errors = 0
        var connections = 0
        var latencies = [Double](repeating: 0, count: 4096)
        var next = 0
        var filled = 0
    }

    func record(latencyMs: Double, failed: Bool) {
        state.withLock { s in
            s.requests += 1
            if failed { s.errors += 1 }
            s.latencies[s.next] = latencyMs
            s.next = (s.next + 1) % s.latencies.count
            s.filled = min(s.filled + 1, s.latencies.count)
        }
    }

    /// Adds `delta` to the open-connection count and returns the new count.
    func connections(adding delta: Int) -> Int {
        state.withLock { s in
            s.connections += delta
            return s.connections
        }
    }

    struct Snapshot {
        var requests: Int, errors: Int, connections: Int
        var p50: Double, p90: Double, p99: Double, max: Double
    }

    func snapshot() -> Snapshot {
        state.withLock { s in
            let window = s.latencies.prefix(s.filled).sorted()
            func pct(_ p: Double) -> Double {
                guard !window.isEmpty else { return 0 }
                return window[min(window.count - 1, Int((Double(window.count) * p).rounded(.up)) - 1)]
            }
            return Snapshot(requests: s.requests, errors: s.errors, connections: s.connections,
                            p50: pct(0.5), p90: pct(0.9), p99: pct(0.99), max: window.last ?? 0)
        }
    }
}
