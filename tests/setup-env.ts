// Lambda runs Node 22; the AWS SDK's notice that later releases will need it says nothing about the code
// under test, and would repeat in every worker's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// The service's JSON log lines and EMF metrics are written to stdout/stderr as on Lambda; a test run hears
// them only where a test captures them (tests/support/logs.ts turns them on for its tests).
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
