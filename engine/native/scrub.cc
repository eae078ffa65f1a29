// scrub.cc — the scrubber's step: reads the records of sealed, fsynced
// segments in file order, checks each crc, and names every run of bad bytes
// by file and offset with the live keys whose entries point into it, so
// corruption is found before a read meets it. Runs on the JS thread in
// small steps (the caller paces them): the lock is held only to pick the
// segment (whose fd is dup'ed, so a merge may remove the file meanwhile)
// and to look up the keys of a bad run.
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "engine.h"

namespace dynkv {

uint64_t Engine::scrub(uint32_t* segment, uint64_t* offset, uint64_t budget, std::vector<ScrubFinding>& found) {
  int fd = -1;
  uint64_t size = 0;
  uint32_t id = 0;
  std::string path;
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (closed_) throw EngineError("ECLOSED", "engine is closed");
    uint32_t best = UINT32_MAX;
    for (const auto& [sid, s] : segments_)
      if (sid >= *segment && sid < best && s->synced && s->fd >= 0) best = sid;
    if (best == UINT32_MAX) {
      *segment = 0;
      *offset = 0;
      return 0;
    }
    const Segment* s = segments_.at(best).get();
    if (best != *segment || *offset < kFileHeader) *offset = kFileHeader;
    id = best;
    size = s->diskEnd;
    path = s->path;
    fd = ::dup(s->fd);
    if (fd < 0) throw systemError(errno, "dup " + path);
  }
  uint64_t verified = 0, pos = *offset;
  size_t firstFinding = found.size();
  try {
    RecordReader reader(fd, size, path, pos);
    while (verified < budget) {
      RecordReader::Status st = reader.next();
      if (st == RecordReader::kEnd) {
        pos = size;
        break;
      }
      if (st == RecordReader::kOk) {
        verified += reader.meta().size();
        pos = reader.offset() + reader.meta().size();
        continue;
      }
      uint64_t bad = reader.badOffset();
      bool more = reader.resync();
      uint64_t end = more ? reader.badOffset() : size;
      found.push_back({path, bad, end - bad, {}});
      verified += end - bad;
      pos = end;
      if (!more) break;
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  if (pos >= size) {
    *segment = id + 1;
    *offset = kFileHeader;
  } else {
    *segment = id;
    *offset = pos;
  }
  if (found.size() > firstFinding) {
    // Rare: one walk of the keydir finds the entries that point into the bad runs.
    std::lock_guard<std::mutex> lk(mu_);
    if (closed_) throw EngineError("ECLOSED", "engine is closed");
    std::vector<const KeyEntry*> entries;
    keydir_.scan(0, UINT64_MAX, SIZE_MAX, nowMs(), false, entries);
    for (const KeyEntry* e : entries) {
      if (e->seg != id) continue;
      for (size_t i = firstFinding; i < found.size(); i++) {
        ScrubFinding& f = found[i];
        if (e->off >= f.offset && e->off < f.offset + f.length)
          f.keys.emplace_back(reinterpret_cast<const char*>(e->key()), e->keyLen());
      }
    }
  }
  return verified;
}

}  // namespace dynkv
