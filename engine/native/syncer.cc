// syncer.cc — the thread that moves the write buffer to disk. It takes every
// queued chunk at once (group commit), writes it, and fsyncs as the mode
// says: after each batch for 'always', once a second for 'everysec', never
// for 'no' (but always when a segment is sealed, for a merge and at close).
// A failed write (ENOSPC, EIO) leaves the data queued, truncates the partial
// bytes away, fails new writes, and is retried every second.
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "engine.h"

namespace dynkv {

using Clock = std::chrono::steady_clock;

void Engine::syncerLoop() {
  std::unique_lock<std::mutex> lk(mu_);
  Clock::time_point lastFsync = Clock::now();
  Clock::time_point retryAt{};
  Clock::time_point gatherFrom{};  // when the oldest unwritten chunk was first seen
  std::vector<Segment*> dirty;  // written since their last fsync
  for (;;) {
    Clock::time_point now = Clock::now();
    bool failing = !errorCode_.empty();
    if (failing && now < retryAt && !stopping_) {
      doneCv_.notify_all();
      syncCv_.wait_until(lk, retryAt);
      continue;
    }
    bool force = forceSyncSeq_ > syncedSeq_;
    bool secDue = fsync_ == FsyncMode::kEverySec && !dirty.empty() && now - lastFsync >= std::chrono::seconds(1);
    // Without 'always', and with nobody waiting, writes gather a moment for
    // one write(2), as Redis writes its AOF buffer once per event-loop turn;
    // the JS thread then need not wake this thread for every put.
    const bool urgent = fsync_ == FsyncMode::kAlways || force || secDue || stopping_ || waitSeq_ > writtenSeq_ ||
                        pendingBytes_ >= kGatherBytes || !sealedPending_.empty();
    if (!chunks_.empty() && !urgent) {
      if (gatherFrom == Clock::time_point{}) gatherFrom = now;
      if (now - gatherFrom < kGather) {
        syncerIdle_ = true;
        syncCv_.wait_until(lk, gatherFrom + kGather);
        syncerIdle_ = false;
        continue;
      }
    }
    gatherFrom = Clock::time_point{};
    if (chunks_.empty() && !force && !secDue && sealedPending_.empty()) {
      if (stopping_) break;
      syncerIdle_ = true;
      if (fsync_ == FsyncMode::kEverySec && !dirty.empty())
        syncCv_.wait_until(lk, lastFsync + std::chrono::seconds(1));
      else
        syncCv_.wait(lk);
      syncerIdle_ = false;
      continue;
    }
    std::vector<Chunk*> batch;
    for (auto& c : chunks_) {
      c->sealed = true;
      batch.push_back(c.get());
    }
    const uint64_t batchSeq = batch.empty() ? seq_ : batch.back()->lastSeq;
    const std::vector<Segment*> sealed = sealedPending_;
    const bool fsyncAll = fsync_ == FsyncMode::kAlways || force || secDue || stopping_;
    lk.unlock();

    size_t written = 0;
    uint64_t fsyncs = 0;  // data-file fsyncs of this round that succeeded
    std::string code, message;
    std::vector<Segment*> sealedSynced;  // fsynced once already in this round
    try {
      for (Chunk* c : batch) {
        Segment* s = c->seg;
        if (s->fd < 0) {
          // A new segment: the older ones are complete; make them durable
          // before the new file exists, so only the last file can be torn.
          for (Segment* old : sealed) {
            if (old->id < s->id && old->fd >= 0 &&
                std::find(sealedSynced.begin(), sealedSynced.end(), old) == sealedSynced.end()) {
              syncFile(old->fd, old->path);
              fsyncs++;
              sealedSynced.push_back(old);
            }
          }
          int fd = ::open(s->path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
          if (fd < 0) throw systemError(errno, "create " + s->path);
          try {
            writeAll(fd, kDataMagic, kFileHeader, 0, s->path);
            syncDir(dir_);
          } catch (...) {
            ::close(fd);
            ::unlink(s->path.c_str());
            throw;
          }
          std::lock_guard<std::mutex> g(mu_);
          s->fd = fd;
          s->diskEnd = kFileHeader;
          s->mapFile(opt_.segmentSize);  // the most it grows to but for one oversized record
        }
        writeAll(s->fd, c->data->data(), c->data->size(), c->start, s->path);
        written++;
        if (std::find(dirty.begin(), dirty.end(), s) == dirty.end()) dirty.push_back(s);
      }
      // Every sealed segment's bytes are all written now: fsync it for good.
      for (Segment* s : sealed) {
        if (std::find(sealedSynced.begin(), sealedSynced.end(), s) == sealedSynced.end()) {
          syncFile(s->fd, s->path);
          fsyncs++;
        }
        dirty.erase(std::remove(dirty.begin(), dirty.end(), s), dirty.end());
      }
      if (fsyncAll) {
        for (Segment* s : dirty) {
          syncFile(s->fd, s->path);
          fsyncs++;
        }
        dirty.clear();
        lastFsync = Clock::now();
      }
    } catch (const EngineError& e) {
      code = e.code;
      message = e.what();
      if (written < batch.size()) {
        Chunk* c = batch[written];
        // Cut a partial record off; what was written before stays intact.
        if (c->seg->fd >= 0 && ::ftruncate(c->seg->fd, off_t(c->start)) != 0) message += "; truncate failed too";
      }
    }

    std::vector<std::unique_ptr<Chunk>> done;  // freed once the lock is let go
    lk.lock();
    fsyncs_ += fsyncs;
    for (size_t i = 0; i < written; i++) {
      std::unique_ptr<Chunk> c = std::move(chunks_.front());
      chunks_.pop_front();
      c->seg->diskEnd = c->start + c->data->size();
      pendingBytes_ -= c->data->size();
      if (c->data->capacity() == kChunkCapacity && spareBuffers_.size() < kSpareBuffers) {
        c->data->clear();
        spareBuffers_.push_back(std::move(c->data));
      }
      done.push_back(std::move(c));
    }
    if (written > 0) writtenSeq_ = batch[written - 1]->lastSeq;
    if (code.empty()) {
      writtenSeq_ = std::max(writtenSeq_, batchSeq);
      if (fsyncAll) syncedSeq_ = writtenSeq_;
      for (Segment* s : sealed) {
        s->synced = true;
        sealedPending_.erase(std::remove(sealedPending_.begin(), sealedPending_.end(), s), sealedPending_.end());
        tasks_.push_back({Task::kHint, s->id, false});
      }
      if (!sealed.empty()) workCv_.notify_one();
      if (failing) {
        errorCode_.clear();
        errorMessage_.clear();
        notifiedSeq_ = 0;  // tell JS writes are durable again
      }
    } else {
      errorCode_ = code;
      errorMessage_ = message;
      retryAt = Clock::now() + std::chrono::seconds(1);
      sink_("error", 0, code, message);
      if (stopping_) break;  // close() reports the loss
    }
    const uint64_t durable = durableSeqLocked();
    if (waitSeq_ > notifiedSeq_ && durable > notifiedSeq_) {
      notifiedSeq_ = durable;
      sink_("durable", double(durable), "", "");
    }
    doneCv_.notify_all();
    lk.unlock();
    done.clear();
    lk.lock();
  }
  doneCv_.notify_all();
}

}  // namespace dynkv
