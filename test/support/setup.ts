import { inject } from 'vitest';

// No test reaches AWS: fixed fake credentials, a fixed region, DynamoDB at the run's dynalite.
process.env.AWS_ACCESS_KEY_ID = 'AKIAFORENSICSTEST000';
process.env.AWS_SECRET_ACCESS_KEY = 'test-secret-not-real';
process.env.AWS_REGION = 'us-east-1';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.AWS_ENDPOINT_URL_DYNAMODB = inject('dynamoEndpoint');
