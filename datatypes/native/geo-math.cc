// geo-math.cc — the geo commands' trigonometry through the C library, as
// redis-server computes it (see datatypes/geohash-helpers.ts): V8's Math.sin,
// cos and asin (fdlibm) and glibc's differ in the last bit for a few percent
// of arguments, and a distance stored by GEOSEARCHSTORE ... STOREDIST, or a
// point on a search's edge, shows every bit. Distances go by the batch (a
// search's candidates in one call): a call into C costs more than a distance.
#include <napi.h>
#include <math.h>

namespace {

const double kEarthRadiusInMeters = 6372797.560856;
const double kDegToRad = M_PI / 180.0;

// geohashGetLatDistance: the north-south arc between two latitudes.
double LatDistance(double lat1d, double lat2d) {
  return kEarthRadiusInMeters * fabs(lat2d * kDegToRad - lat1d * kDegToRad);
}

// Redis 7.0.15's geohashGetDistance, operation for operation: the haversine
// great-circle distance in meters, or the latitude arc when the longitudes
// give no sine (the shortcut redis-server takes, whose last bits differ).
double Haversine(double lon1d, double lat1d, double lon2d, double lat2d) {
  double lon1r = lon1d * kDegToRad;
  double lon2r = lon2d * kDegToRad;
  double v = sin((lon2r - lon1r) / 2);
  if (v == 0.0) return LatDistance(lat1d, lat2d);
  double lat1r = lat1d * kDegToRad;
  double lat2r = lat2d * kDegToRad;
  double u = sin((lat2r - lat1r) / 2);
  double a = u * u + cos(lat1r) * cos(lat2r) * v * v;
  return 2.0 * kEarthRadiusInMeters * asin(sqrt(a));
}

// distance(lon1, lat1, lon2, lat2): GEODIST's.
Napi::Value Distance(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), Haversine(info[0].As<Napi::Number>().DoubleValue(), info[1].As<Napi::Number>().DoubleValue(),
                                                 info[2].As<Napi::Number>().DoubleValue(), info[3].As<Napi::Number>().DoubleValue()));
}

// radiusDistances(lon, lat, coords, count, out): out[i] = the distance from
// (lon, lat) to the point (coords[2i], coords[2i + 1]), for i < count.
Napi::Value RadiusDistances(const Napi::CallbackInfo& info) {
  double lon = info[0].As<Napi::Number>().DoubleValue();
  double lat = info[1].As<Napi::Number>().DoubleValue();
  const double* coords = info[2].As<Napi::Float64Array>().Data();
  uint32_t count = info[3].As<Napi::Number>().Uint32Value();
  double* out = info[4].As<Napi::Float64Array>().Data();
  for (uint32_t i = 0; i < count; i++) out[i] = Haversine(lon, lat, coords[2 * i], coords[2 * i + 1]);
  return info.Env().Undefined();
}

// boxDistances(lon, lat, coords, count, out): for each point, Redis
// 7.0.15's geohashGetDistanceIfInRectangle's three distances: north-south
// (out[3i]), east-west (out[3i + 1]) and from the centre (out[3i + 2]).
Napi::Value BoxDistances(const Napi::CallbackInfo& info) {
  double lon = info[0].As<Napi::Number>().DoubleValue();
  double lat = info[1].As<Napi::Number>().DoubleValue();
  const double* coords = info[2].As<Napi::Float64Array>().Data();
  uint32_t count = info[3].As<Napi::Number>().Uint32Value();
  double* out = info[4].As<Napi::Float64Array>().Data();
  for (uint32_t i = 0; i < count; i++) {
    double x2 = coords[2 * i], y2 = coords[2 * i + 1];
    out[3 * i] = LatDistance(y2, lat);
    out[3 * i + 1] = Haversine(x2, y2, lon, y2);
    out[3 * i + 2] = Haversine(lon, lat, x2, y2);
  }
  return info.Env().Undefined();
}

// cos(x): the C library's, for the search's bounding box.
Napi::Value Cos(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), cos(info[0].As<Napi::Number>().DoubleValue()));
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("distance", Napi::Function::New(env, Distance, "distance"));
  exports.Set("radiusDistances", Napi::Function::New(env, RadiusDistances, "radiusDistances"));
  exports.Set("boxDistances", Napi::Function::New(env, BoxDistances, "boxDistances"));
  exports.Set("cos", Napi::Function::New(env, Cos, "cos"));
  return exports;
}

}  // namespace

NODE_API_MODULE(dynkv_geo, Init)
