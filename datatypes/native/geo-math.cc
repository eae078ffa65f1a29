// geo-math.cc — the geo commands' trigonometry through the C library, as
// redis-server computes it (see datatypes/geohash-helpers.ts): V8's Math.sin,
// cos and asin (fdlibm) and glibc's differ in the last bit for a few percent
// of arguments, and a distance stored by GEOSEARCHSTORE ... STOREDIST, or a
// point on a search's edge, shows every bit.
#include <napi.h>
#include <math.h>

namespace {

const double kEarthRadiusInMeters = 6372797.560856;
const double kDegToRad = M_PI / 180.0;

// distance(lon1, lat1, lon2, lat2): Redis 7.0's geohashGetDistance, the
// haversine great-circle distance in meters, operation for operation.
Napi::Value Distance(const Napi::CallbackInfo& info) {
  double lon1r = info[0].As<Napi::Number>().DoubleValue() * kDegToRad;
  double lat1r = info[1].As<Napi::Number>().DoubleValue() * kDegToRad;
  double lon2r = info[2].As<Napi::Number>().DoubleValue() * kDegToRad;
  double lat2r = info[3].As<Napi::Number>().DoubleValue() * kDegToRad;
  double u = sin((lat2r - lat1r) / 2);
  double v = sin((lon2r - lon1r) / 2);
  double d = 2.0 * kEarthRadiusInMeters * asin(sqrt(u * u + cos(lat1r) * cos(lat2r) * v * v));
  return Napi::Number::New(info.Env(), d);
}

// cos(x): the C library's, for the search's bounding box.
Napi::Value Cos(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), cos(info[0].As<Napi::Number>().DoubleValue()));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("distance", Napi::Function::New(env, Distance, "distance"));
  exports.Set("cos", Napi::Function::New(env, Cos, "cos"));
  return exports;
}

}  // namespace

NODE_API_MODULE(dynkv_geo, Init)
