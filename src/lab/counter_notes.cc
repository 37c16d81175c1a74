#include "lab/counter_notes.h"

#include "analyze/counter_catalog.h"
#include "lab/lab_run.h"

namespace tcpdoctor {

std::map<std::string, uint64_t, std::less<>> ObserveIncreases(LabRun& run,
                                                              const CounterDeltas& deltas,
                                                              std::span<const CounterNote> notes,
                                                              const std::string& prefix) {
  std::map<std::string, uint64_t, std::less<>> increases;
  for (const CounterNote& note : notes) {
    const std::string counter(note.counter);
    const uint64_t value = deltas.Increase(counter).value_or(0);
    std::string_view meaning = note.meaning;
    if (meaning.empty()) {
      const CounterInfo* info = FindCounterInfo(counter);
      if (info != nullptr) meaning = info->meaning;
    }
    std::string text = counter;
    text += " +" + std::to_string(value);
    if (!meaning.empty()) text.append(": ").append(meaning);
    run.Observe(prefix + std::string(note.key), value, std::move(text));
    increases[std::string(note.key)] = value;
  }
  return increases;
}

}  // namespace tcpdoctor
