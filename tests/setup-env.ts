// Lambda runs Node 22; the AWS SDK's notice that later releases will need it says nothing about the code
// under test, and would repeat in every worker's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
