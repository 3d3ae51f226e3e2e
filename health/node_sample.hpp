// What one health probe of one node returns: either a sample (role, timeline, WAL
// positions, WAL receiver, replay pause, and on a primary its pg_stat_replication rows) or
// a classified failure. Plain values, filled by health/probe, read by health/topology.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "health/lsn.hpp"

namespace pgrelay::health {

using wall_clock = std::chrono::system_clock;

// One row of pg_stat_replication on a primary.
struct replica_row {
    std::string application_name;
    std::string client_addr;
    std::string state;  // startup, catchup, streaming, backup, stopping
    std::optional<lsn> sent_lsn, write_lsn, flush_lsn, replay_lsn;
};

struct node_sample {
    bool in_recovery = false;        // pg_is_in_recovery()
    std::uint32_t timeline = 0;      // primary: from pg_walfile_name(pg_current_wal_lsn());
                                     // standby: pg_control_checkpoint().timeline_id
    std::optional<lsn> current_lsn;  // primary: pg_current_wal_lsn()
    std::optional<lsn> receive_lsn;  // standby: pg_last_wal_receive_lsn()
    std::optional<lsn> replay_lsn;   // standby: pg_last_wal_replay_lsn()
    std::optional<wall_clock::time_point> last_replay_at;  // pg_last_xact_replay_timestamp()
    std::string receiver_status;                // pg_stat_wal_receiver.status; empty: no row
    std::optional<std::uint32_t> received_tli;  // pg_stat_wal_receiver.received_tli
    std::string upstream_host;                  // pg_stat_wal_receiver.sender_host
    int upstream_port = 0;                      // pg_stat_wal_receiver.sender_port
    bool replay_paused = false;                 // pg_is_wal_replay_paused()
    int server_version = 0;                     // server_version_num, e.g. 150018
    std::vector<replica_row> replicas;          // primary only

    // The timeline a standby is on: the one it receives, else its last restartpoint's.
    std::uint32_t effective_timeline() const {
        return in_recovery && received_tli && *received_tli != 0 ? *received_tli : timeline;
    }
};

enum class probe_failure : std::uint8_t {
    none,
    connect_refused,  // nothing listens, host unreachable
    connect_timeout,  // no answer within connect_timeout
    auth_failed,      // 28P01 / 28000: the health-check user cannot log in
    starting_up,      // 57P03: alive and in recovery but not accepting connections
                      // (warm standby, crash recovery, shutting down)
    query_timeout,    // connected, but the probe query took longer than query_timeout
    query_failed,     // the probe query returned an error
    connection_lost,  // the probe connection broke
};

std::string_view to_string(probe_failure f);

struct probe_result {
    std::optional<node_sample> sample;  // set when the probe succeeded
    probe_failure failure = probe_failure::none;
    std::string detail;  // the error text, for reasons and logs
};

}  // namespace pgrelay::health
