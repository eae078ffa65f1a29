// merge.cc — the worker thread: hint files for sealed segments, and merges.
// A merge copies the live records of some sealed segments into new files
// whose ids sit after those segments and before any later write, drops
// dead records, keeps a tombstone (or turns an expired live record into
// one) while an older segment outside the merge may still hold the key,
// waits until every write that superseded a dropped record is fsynced,
// commits by rename, repoints the keydir, then deletes the inputs oldest
// first: a crash at any point leaves no lost or resurrected key.
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "engine.h"
#include "hashing.h"

namespace dynkv {

struct Engine::Staged {
  std::string key;
  uint64_t hash;
  uint32_t oldSeg, oldOff;
  Location to;  // to.size == 0: remove the key (it expired)
};

void Engine::workerLoop() {
  std::unique_lock<std::mutex> lk(mu_);
  auto nextCheck = std::chrono::steady_clock::now() + std::chrono::milliseconds(opt_.mergeIntervalMs);
  while (!stopping_) {
    if (tasks_.empty()) {
      if (opt_.mergeIntervalMs == 0) {
        workCv_.wait(lk);
        continue;
      }
      if (workCv_.wait_until(lk, nextCheck) == std::cv_status::timeout) {
        nextCheck = std::chrono::steady_clock::now() + std::chrono::milliseconds(opt_.mergeIntervalMs);
        tasks_.push_back({Task::kMerge, 0, false});
      }
      continue;
    }
    Task task = tasks_.front();
    tasks_.pop_front();
    lk.unlock();
    if (task.kind == Task::kHint) {
      try {
        writeHintFile(task.id);
      } catch (const EngineError& e) {
        std::fprintf(stderr, "dynkv: warning: could not write a hint file for segment %u: %s\n", task.id, e.what());
      }
    } else {
      merge(task.id, task.all);
    }
    lk.lock();
  }
}

void Engine::buildHint(int fd, uint64_t size, const std::string& dataFile, const std::string& hintFile) {
  RecordReader reader(fd, size, dataFile);
  HintWriter hints(hintFile, size);
  for (;;) {
    RecordReader::Status st = reader.next();
    if (st == RecordReader::kEnd) break;
    if (st == RecordReader::kBad)
      throw EngineError("ECORRUPT", "corrupt record in " + dataFile + " at offset " + std::to_string(reader.badOffset()));
    const RecordMeta& m = reader.meta();
    hints.add(m.flags, uint32_t(reader.offset()), uint32_t(m.size()), m.expireAt,
              reinterpret_cast<const uint8_t*>(reader.key().data()), m.keyLen);
  }
  hints.finish();
}

void Engine::writeHintFile(uint32_t id) {
  int fd;
  uint64_t size;
  std::string path;
  {
    std::lock_guard<std::mutex> lk(mu_);
    auto it = segments_.find(id);
    if (it == segments_.end() || it->second->fd < 0 || it->second->hinted) return;
    fd = it->second->fd;
    size = it->second->diskEnd;
    path = it->second->path;
  }
  std::string hint = hintPath(dir_, id);
  buildHint(fd, size, path, hint + ".tmp");
  if (::rename((hint + ".tmp").c_str(), hint.c_str()) != 0) throw systemError(errno, "rename " + hint);
  syncDir(dir_);
  std::lock_guard<std::mutex> lk(mu_);
  auto it = segments_.find(id);
  if (it != segments_.end()) it->second->hinted = true;
}

std::vector<Segment*> Engine::mergeCandidates(bool all) {
  std::vector<Segment*> out;
  for (const auto& [id, s] : segments_) {
    if (!s->synced || s->fd < 0) continue;
    uint64_t body = s->size - kFileHeader;
    if (all || body == 0 || double(s->dead) >= opt_.mergeThreshold * double(body)) out.push_back(s.get());
  }
  std::sort(out.begin(), out.end(), [](Segment* a, Segment* b) { return a->id < b->id; });
  return out;
}

namespace {

struct Output {
  uint32_t id;
  std::string path;  // final name; written as path + ".tmp"
  int fd = -1;
  uint64_t size = kFileHeader;
  uint64_t dead = 0;
};

void removeOutputs(std::vector<Output>& outs, const std::string& dir) {
  for (Output& o : outs) {
    if (o.fd >= 0) ::close(o.fd);
    o.fd = -1;
    ::unlink((o.path + ".tmp").c_str());
    ::unlink((hintPath(dir, o.id) + ".tmp").c_str());
  }
}

}  // namespace

void Engine::merge(uint32_t requestId, bool all) {
  std::vector<Segment*> inputs;
  uint32_t base = 0, reserved = 0, minKept = UINT32_MAX;
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (stopping_) return;
    inputs = mergeCandidates(all);
    if (!inputs.empty()) {
      merging_ = true;
      for (const auto& [id, s] : segments_)
        if (std::find(inputs.begin(), inputs.end(), s.get()) == inputs.end()) minKept = std::min(minKept, id);
      // Output ids go after every existing segment and before every later
      // write: seal the active segment (or renumber it while it is empty).
      reserved = uint32_t(2 * inputs.size() + 1);
      base = nextId_;
      nextId_ += reserved;
      if (active_->fd < 0 && active_->size == kFileHeader) {
        auto node = segments_.extract(active_->id);
        active_->id = nextId_++;
        active_->path = dataPath(dir_, active_->id);
        node.key() = active_->id;
        segments_.insert(std::move(node));
      } else {
        roll();
      }
    }
  }
  if (inputs.empty()) {
    if (requestId != 0) sink_("compacted", requestId, "", R"({"segmentsIn":0,"segmentsOut":0,"bytesIn":0,"bytesOut":0})");
    return;
  }
  // The merge is over (INFO's aof_rewrite_in_progress) before anyone is told
  // how it went; an exit no branch below foresaw counts as a failure.
  struct Ending {
    Engine& engine;
    bool ended = false;
    void end(bool failed) {
      std::lock_guard<std::mutex> lk(engine.mu_);
      endLocked(failed);
    }
    void endLocked(bool failed) {
      engine.merging_ = false;
      engine.lastMergeFailed_ = failed;
      ended = true;
    }
    ~Ending() {
      if (!ended) end(true);
    }
  } ending{*this};

  std::vector<Output> outs;
  std::vector<Staged> staged;
  uint64_t bytesIn = 0, checkedSeq = 0;
  std::vector<uint8_t> raw;
  try {
    auto output = [&](uint64_t recordSize) -> Output& {
      if (outs.empty() || (outs.back().size > kFileHeader && outs.back().size + recordSize > opt_.segmentSize)) {
        if (outs.size() == reserved) throw EngineError("EINVAL", "merge ran out of reserved segment ids");
        if (!outs.empty()) syncFile(outs.back().fd, outs.back().path);
        Output o;
        o.id = base + uint32_t(outs.size());
        o.path = dataPath(dir_, o.id);
        std::string tmp = o.path + ".tmp";
        o.fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (o.fd < 0) throw systemError(errno, "create " + tmp);
        outs.push_back(o);
        writeAll(o.fd, kDataMagic, kFileHeader, 0, tmp);
      }
      return outs.back();
    };

    struct Seen {
      RecordMeta meta;
      std::string key;
      uint64_t hash;
      uint32_t off;
      enum { kDrop, kCopy, kTombstone } action;
    };
    std::vector<Seen> batch;
    for (Segment* in : inputs) {
      bytesIn += in->size;
      RecordReader reader(in->fd, in->size, in->path);
      bool more = true;
      while (more) {
        batch.clear();
        while (batch.size() < 512) {
          RecordReader::Status st = reader.next();
          if (st == RecordReader::kEnd) {
            more = false;
            break;
          }
          if (st == RecordReader::kBad)
            throw EngineError("ECORRUPT", "corrupt record in " + in->path + " at offset " + std::to_string(reader.badOffset()));
          const std::string& key = reader.key();
          batch.push_back({reader.meta(), key, ringHash(reinterpret_cast<const uint8_t*>(key.data()), key.size()),
                           uint32_t(reader.offset()), Seen::kDrop});
        }
        {
          std::lock_guard<std::mutex> lk(mu_);
          if (stopping_) throw EngineError("ECLOSED", "engine is closing");
          const uint64_t now = nowMs();
          const bool olderKept = minKept < in->id;
          for (Seen& r : batch) {
            const KeyEntry* e =
                keydir_.find(reinterpret_cast<const uint8_t*>(r.key.data()), uint32_t(r.key.size()), r.hash);
            if (r.meta.tombstone()) {
              if (e == nullptr && olderKept) r.action = Seen::kCopy;
            } else if (e != nullptr && e->seg == in->id && e->off == r.off) {
              bool expired = r.meta.expireAt != 0 && r.meta.expireAt <= now;
              r.action = !expired ? Seen::kCopy : (olderKept ? Seen::kTombstone : Seen::kDrop);
              if (expired) staged.push_back({r.key, r.hash, in->id, r.off, Location{}});
            }
          }
          checkedSeq = seq_;
        }
        for (Seen& r : batch) {
          if (r.action == Seen::kDrop) continue;
          RecordMeta m = r.meta;
          if (r.action == Seen::kTombstone) {
            m.flags = kTombstone;
            m.valueLen = 0;
            m.timestamp = nowMs();
            m.expireAt = 0;
          }
          Output& o = output(m.size());
          raw.resize(m.size());
          if (r.action == Seen::kCopy) {
            readAll(in->fd, raw.data(), raw.size(), r.off, in->path);
          } else {
            encodeRecord(raw.data(), m, reinterpret_cast<const uint8_t*>(r.key.data()), nullptr);
          }
          writeAll(o.fd, raw.data(), raw.size(), o.size, o.path + ".tmp");
          Location to{o.id, uint32_t(o.size), uint32_t(m.size()), m.expireAt};
          if (m.tombstone())
            o.dead += m.size();
          else
            staged.push_back({r.key, r.hash, in->id, r.off, to});
          o.size += m.size();
        }
      }
    }
    for (Output& o : outs) {
      syncFile(o.fd, o.path);
      buildHint(o.fd, o.size, o.path + ".tmp", hintPath(dir_, o.id) + ".tmp");
    }
    {
      // Every write the merge saw must be on disk before inputs go away.
      std::unique_lock<std::mutex> lk(mu_);
      forceSyncSeq_ = std::max(forceSyncSeq_, checkedSeq);
      syncerIdle_ = false;
      syncCv_.notify_one();
      doneCv_.wait(lk, [&] { return syncedSeq_ >= checkedSeq || stopping_ || !errorCode_.empty(); });
      if (syncedSeq_ < checkedSeq) {
        if (!errorCode_.empty()) throw EngineError(errorCode_, "merge abandoned: " + errorMessage_);
        throw EngineError("ECLOSED", "engine is closing");
      }
    }
    for (Output& o : outs) {
      if (::rename((o.path + ".tmp").c_str(), o.path.c_str()) != 0) throw systemError(errno, "rename " + o.path);
      std::string hint = hintPath(dir_, o.id);
      if (::rename((hint + ".tmp").c_str(), hint.c_str()) != 0) throw systemError(errno, "rename " + hint);
    }
    syncDir(dir_);
  } catch (const EngineError& e) {
    removeOutputs(outs, dir_);
    ending.end(true);
    if (requestId != 0)
      sink_("compactFailed", requestId, e.code, e.what());
    else if (e.code != "ECLOSED")
      std::fprintf(stderr, "dynkv: warning: merge failed: %s\n", e.what());
    return;
  }

  uint64_t bytesOut = 0;
  std::vector<std::pair<uint32_t, int>> gone;  // ascending ids
  {
    std::lock_guard<std::mutex> lk(mu_);
    for (Output& o : outs) {
      auto seg = std::make_unique<Segment>();
      seg->id = o.id;
      seg->path = o.path;
      seg->fd = o.fd;
      seg->size = seg->diskEnd = o.size;
      seg->dead = o.dead;
      seg->sealed = seg->synced = seg->hinted = true;
      seg->mapFile(o.size);
      bytesOut += o.size;
      segments_[o.id] = std::move(seg);
    }
    for (const Staged& s : staged) {
      const uint8_t* key = reinterpret_cast<const uint8_t*>(s.key.data());
      if (s.to.size == 0) {
        keydir_.removeAt(key, uint32_t(s.key.size()), s.hash, s.oldSeg, s.oldOff);
      } else if (!keydir_.repoint(key, uint32_t(s.key.size()), s.hash, s.oldSeg, s.oldOff, s.to)) {
        segments_[s.to.seg]->dead += s.to.size;
      }
    }
    for (Segment* in : inputs) {
      gone.emplace_back(in->id, in->fd);
      in->unmap();
      segments_.erase(in->id);
    }
    merges_++;
    ending.endLocked(false);
  }
  // Inputs go oldest first, so a crash never leaves an old value without
  // the newer tombstone that hides it; each one's hint before its data, so
  // a crash never leaves a hint without its data file (see listSegments).
  for (const auto& [id, fd] : gone) {
    ::close(fd);
    ::unlink(hintPath(dir_, id).c_str());
    if (::unlink(dataPath(dir_, id).c_str()) != 0 && errno != ENOENT)
      std::fprintf(stderr, "dynkv: warning: could not delete merged segment %u: %s\n", id, std::strerror(errno));
  }
  try {
    syncDir(dir_);
  } catch (const EngineError& e) {
    std::fprintf(stderr, "dynkv: warning: %s\n", e.what());
  }
  char json[160];
  std::snprintf(json, sizeof(json), R"({"segmentsIn":%zu,"segmentsOut":%zu,"bytesIn":%llu,"bytesOut":%llu})",
                inputs.size(), outs.size(), (unsigned long long)bytesIn, (unsigned long long)bytesOut);
  if (requestId != 0) sink_("compacted", requestId, "", json);
}

}  // namespace dynkv
