// An ASP.NET Core app that uses Cohort the way a .NET service would: the client from dependency injection
// (AddCohortClient, bound from the "Cohort" section: appsettings.json or Cohort__Addresses__0=… variables), a health
// check, and OpenTelemetry tracing with Cohort's instrumentation. Spans go to an in-memory exporter here (GET /spans
// shows them); a real service would add an OTLP exporter, and start its Cohort nodes with --otlp-endpoint so that
// their spans join the same traces.
//
//   cohort up                                      # a local cluster on 127.0.0.1:7001-7003, then:
//   dotnet run --project examples/TracedApp -- --urls http://127.0.0.1:5080
//   curl -X POST http://127.0.0.1:5080/signup/alice
var app = TracedApp.TracedApp.Build(args, []);
await app.RunAsync();
