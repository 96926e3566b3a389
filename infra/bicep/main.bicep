// The platform on Azure, deployable with `azd up` (azure.yaml at the repository root):
//   - the function app on Flex Consumption (Python 3.11) running as a user-assigned identity,
//   - one event-driven Container Apps job per job kind (KEDA azure-queue scaler, same identity),
//   - storage (no shared keys), Redis with TLS, PostgreSQL Flexible Server with pgvector,
//     Key Vault for every secret, Application Insights + Log Analytics,
//   - Qdrant and Neo4j as endpoints (optionally Qdrant as a Container App on Azure Files).
// Every app setting the code reads (shared/config.py) is set here, with the names of
// local.settings.sample.json; tests/unit/infra checks that.

targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('Name of the azd environment; with the subscription and the location it seeds the token that makes resource names unique.')
param environmentName string

@minLength(1)
@description('Azure region of every resource; it must offer Flex Consumption, Container Apps and the chosen Redis and PostgreSQL SKUs.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Name of the resource group; empty: rg-<environmentName>.')
param resourceGroupName string = ''

@description('Object id of the person or pipeline running azd: gets data access to storage and manages Key Vault secrets (debugging). Empty: nobody.')
param principalId string = ''

@description('Principal type of principalId.')
@allowed([
  'User'
  'ServicePrincipal'
])
param principalType string = 'User'

@description('E-mail address the alert rules notify (5xx rate, breaker open, poison messages, failing jobs, p95 latency); empty: no notification.')
param alertEmail string = ''

@description('App settings laid over the generated ones, for the function app and every job, e.g. { "EMBEDDINGS_RUNTIME": "onnxruntime" }. Not for secrets: those live in Key Vault.')
param appSettingsOverrides object = {}

@description('Largest HTTP request body the Functions host forwards (bytes): the 100 MiB media limit plus multipart framing')
param httpRequestBodyLimitBytes int = 105906176

@description('Memory of one Flex Consumption instance in MB (the text models need 2048 or more).')
@allowed([
  512
  2048
  4096
])
param functionInstanceMemoryMB int = 2048

@description('Most Flex Consumption instances the function app scales out to. Each holds up to POSTGRES_POOL_MAX database connections per PostgreSQL service role it uses.')
@minValue(1)
@maxValue(1000)
param functionMaximumInstanceCount int = 40

@description('HTTP requests one Flex Consumption instance serves at once before the platform adds an instance. 16 (the 2048 MB default, set on purpose): enough concurrent callers on one instance for the embeddings micro-batcher to fill batches, and as many as PYTHON_THREADPOOL_THREAD_COUNT threads, so no admitted request waits for a thread.')
@minValue(1)
@maxValue(1000)
param functionHttpPerInstanceConcurrency int = 16

@description('Always-ready instances of the HTTP group: 1 keeps one instance warm (models loaded on first use stay loaded), so the first request after a quiet period does not pay a cold start; billed while idle. 0 scales to zero.')
@minValue(0)
@maxValue(1000)
param functionAlwaysReadyHttpInstances int = 1

@description('Redis service: managed (Azure Managed Redis) or cache (Azure Cache for Redis).')
@allowed([
  'managed'
  'cache'
])
param redisKind string = 'managed'

@description('SKU of Azure Managed Redis (redisKind managed).')
param managedRedisSku string = 'Balanced_B0'

@description('Clustering policy of Azure Managed Redis. OSSCluster (default): clients talk to every shard directly, the lowest latency and the throughput that grows with shards, which this load (one short script per request) wants; the app then runs as a Redis Cluster client (REDIS_CLUSTER). EnterpriseCluster (one proxied endpoint, e.g. behind a private endpoint whose shard addresses TLS cannot verify) and NoCluster (one shard) work too: every script keeps its keys in one hash slot.')
@allowed([
  'OSSCluster'
  'EnterpriseCluster'
  'NoCluster'
])
param managedRedisClusteringPolicy string = 'OSSCluster'

@description('SKU of Azure Cache for Redis (redisKind cache).')
@allowed([
  'Basic'
  'Standard'
  'Premium'
])
param cacheRedisSku string = 'Basic'

@description('Capacity of Azure Cache for Redis (redisKind cache): 0-6, C0 is 250 MB.')
@minValue(0)
@maxValue(6)
param cacheRedisCapacity int = 0

@description('Administrator login of the PostgreSQL server.')
param postgresAdminLogin string = 'mlplatform'

@secure()
@description('Administrator password of the PostgreSQL server. main.parameters.json lets azd generate it on the first provision and read it back from Key Vault (postgres-admin-password) afterwards.')
param postgresAdminPassword string

@description('PostgreSQL major version.')
@allowed([
  '16'
  '17'
])
param postgresVersion string = '16'

@description('Compute SKU of the PostgreSQL server.')
param postgresSkuName string = 'Standard_B1ms'

@description('Compute tier of the PostgreSQL server, matching postgresSkuName.')
@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
param postgresTier string = 'Burstable'

@description('Storage of the PostgreSQL server in GB.')
param postgresStorageSizeGB int = 32

@description('Let Azure services reach PostgreSQL (firewall rule 0.0.0.0): without VNet integration the function app and the jobs come this way.')
param postgresAllowAzureServices bool = true

@description('Run Qdrant as a Container App with its data on an Azure Files share. false: use qdrantUrl.')
param deployQdrant bool = false

@description('URL of an existing Qdrant server (QDRANT_URL) when deployQdrant is false, with its port (https://host:443 or :6333). Empty: pgvector in the PostgreSQL Flexible Server (the default: durable, shared by every instance and job).')
param qdrantUrl string = ''

@secure()
@description('Qdrant API key (QDRANT_API_KEY), kept in Key Vault (qdrant-api-key); the hosted Qdrant requires it. azd generates one, or reads the secret back from Key Vault: store an external server\'s key there.')
param qdrantApiKey string

@description('Qdrant image when deployQdrant is true.')
param qdrantImage string = 'docker.io/qdrant/qdrant:v1.20.0'

@description('Bolt URI of a Neo4j server (NEO4J_URI), e.g. neo4j+s://<id>.databases.neo4j.io. Neo4j is not an Azure service.')
param neo4jUri string = ''

@description('Neo4j user (NEO4J_USERNAME).')
param neo4jUsername string = 'neo4j'

@secure()
@description('Neo4j password (NEO4J_PASSWORD), kept in Key Vault (neo4j-password). azd generates a placeholder, or reads the secret back: store the real one there.')
param neo4jPassword string

@secure()
@description('HS256 signing secret of bearer JWTs (AUTH_JWT_SECRET), kept in Key Vault (auth-jwt-secret). azd generates one, or reads it back from Key Vault. Tokens from Entra ID are checked with authJwtJwksUrl instead.')
param authJwtSecret string

@description('Issuer every bearer JWT must name (AUTH_JWT_ISSUER), e.g. https://login.microsoftonline.com/<tenant-id>/v2.0. Empty: bearer JWTs are refused; issued API keys still work.')
param authJwtIssuer string = ''

@description('Audience every bearer JWT must name (AUTH_JWT_AUDIENCE), e.g. the app registration\'s client id or api://... URI.')
param authJwtAudience string = ''

@description('JWKS URL of RS256/ES256 token signing keys (AUTH_JWT_JWKS_URL), e.g. https://login.microsoftonline.com/<tenant-id>/discovery/v2.0/keys.')
param authJwtJwksUrl string = ''

@secure()
@description('Passwords of the PostgreSQL service roles (platform_<service>, migration 0009), by service: jobs, worker, media, voice, chat, ml, auth, health, vectors, graph; kept in Key Vault (postgres-<service>-password). azd generates them, or reads them back from Key Vault. The migrate job gives the roles these passwords (python -m shared.stores.postgres_roles).')
param postgresRolePasswords object

@secure()
@description('API key of an OpenAI-compatible chat model server (LLM_API_KEY: Bearer token, Azure OpenAI api-key), kept in Key Vault (llm-api-key). azd generates a placeholder, or reads the secret back: store the real key there. Ignored by the embedded model and by servers without authentication.')
param llmApiKey string

@secure()
@description('API key the AI core presents to the feature apps of CORE_EMBEDDINGS_URL / CORE_CLASSIFY_URL (CORE_REMOTE_API_KEY, sent as Authorization: Bearer), kept in Key Vault (core-remote-api-key). azd generates a placeholder, or reads the secret back: issue a key with the ml scope on the remote app (python -m shared.auth issue-key) and store it there. Unused while the features run in-process.')
param coreRemoteApiKey string

@description('Workload profile type of an optional serverless GPU profile, e.g. Consumption-GPU-NC8as-T4 or Consumption-GPU-NC24-A100 (region and quota permitting). Empty: Consumption only. Job kinds with gpu true run on it.')
param gpuWorkloadProfileType string = ''

@description('Job kinds (keys as in shared/jobs/queues.py): the storage queue (JOB_QUEUE_<KIND>), the most parallel executions (JOB_MAX_EXECUTIONS_<KIND>; 0: no Container Apps job, the kind runs as a queue-triggered function), whether it runs on the GPU profile, and optionally cpu and memory of one execution.')
param jobKinds object = {
  speech: {
    queue: 'jobs-speech'
    maxExecutions: 2
    gpu: false
  }
  extract: {
    queue: 'jobs-extract'
    maxExecutions: 0
    gpu: false
  }
  transcribe: {
    queue: 'jobs-transcribe'
    maxExecutions: 2
    gpu: false
  }
  ml: {
    queue: 'jobs-ml'
    maxExecutions: 1
    gpu: false
  }
  analyze: {
    queue: 'jobs-analyze'
    maxExecutions: 1
    gpu: false
  }
}

@description('Seconds one job execution may run before Container Apps stops it (replicaTimeout).')
@minValue(60)
param jobReplicaTimeoutSeconds int = 1800

@description('Times Container Apps retries a failed execution (replicaRetryLimit). The app retries jobs itself (JOB_MAX_ATTEMPTS), so 0 is the default.')
@minValue(0)
param jobReplicaRetryLimit int = 0

@description('Seconds between two KEDA polls of the job queues (pollingInterval, JOB_POLLING_INTERVAL_SECONDS).')
@minValue(5)
param jobPollingIntervalSeconds int = 30

@description('CPU cores of one job execution on the Consumption profile.')
param jobCpu string = '2.0'

@description('Memory of one job execution on the Consumption profile (2 GiB per core).')
param jobMemory string = '4Gi'

@description('Image of the jobs. azd deploy replaces it; main.parameters.json passes the last deployed image so that a later provision keeps it. The default is a public placeholder for the first provision.')
param jobsImage string = 'mcr.microsoft.com/k8se/quickstart-jobs:latest'

@description('Turn on Key Vault purge protection (the vault name then stays reserved for the retention period after a deletion).')
param keyVaultPurgeProtection bool = false

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var deploymentContainerName = 'app-package'
var blobContainers = {
  MEDIA_CONTAINER: 'media-files'
  JOB_RESULTS_CONTAINER: 'job-results'
  CLASSIFIER_CONTAINER: 'classifier-models'
  ML_MODELS_CONTAINER: 'ml-models'
}
var jobQueues = [for kind in items(jobKinds): kind.value.queue]
var containerAppJobKinds = filter(items(jobKinds), kind => int(kind.value.maxExecutions) > 0)
var tunables = loadJsonContent('app-settings.json')

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1' = {
  name: 'app-identity'
  scope: rg
  params: {
    name: 'id-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    location: location
    tags: tags
    logAnalyticsName: 'log-${resourceToken}'
    appInsightsName: 'appi-${resourceToken}'
    publisherPrincipalId: identity.outputs.principalId
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: tags
    appInsightsName: 'appi-${resourceToken}'
    alertEmail: alertEmail
  }
  dependsOn: [
    monitoring
  ]
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'st${resourceToken}'
    containerNames: concat([deploymentContainerName], map(items(blobContainers), container => container.value))
    queueNames: concat(jobQueues, map(jobQueues, queue => '${queue}-poison'))
    identityPrincipalId: identity.outputs.principalId
    principalId: principalId
    principalType: principalType
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'key-vault'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'kv-${resourceToken}'
    identityPrincipalId: identity.outputs.principalId
    principalId: principalId
    principalType: principalType
    enablePurgeProtection: keyVaultPurgeProtection
    postgresAdminPassword: postgresAdminPassword
    qdrantApiKey: qdrantApiKey
    neo4jPassword: neo4jPassword
    authJwtSecret: authJwtSecret
    llmApiKey: llmApiKey
    coreRemoteApiKey: coreRemoteApiKey
    postgresRolePasswords: postgresRolePasswords
  }
}

module redis 'modules/redis.bicep' = {
  name: 'redis'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'redis-${resourceToken}'
    kind: redisKind
    managedSku: managedRedisSku
    managedClusteringPolicy: managedRedisClusteringPolicy
    cacheSku: cacheRedisSku
    cacheCapacity: cacheRedisCapacity
    keyVaultName: keyVault.outputs.name
  }
}

module postgres 'modules/postgres.bicep' = {
  name: 'postgres'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'psql-${resourceToken}'
    administratorLogin: postgresAdminLogin
    administratorPassword: postgresAdminPassword
    version: postgresVersion
    skuName: postgresSkuName
    tier: postgresTier
    storageSizeGB: postgresStorageSizeGB
    allowAzureServices: postgresAllowAzureServices
    keyVaultName: keyVault.outputs.name
  }
}

module containerApps 'modules/container-apps.bicep' = {
  name: 'container-apps'
  scope: rg
  params: {
    location: location
    tags: tags
    environmentName: 'cae-${resourceToken}'
    registryName: 'cr${resourceToken}'
    logAnalyticsWorkspaceResourceId: monitoring.outputs.logAnalyticsWorkspaceResourceId
    identityPrincipalId: identity.outputs.principalId
    gpuWorkloadProfileType: gpuWorkloadProfileType
    deployQdrantStorage: deployQdrant
    qdrantStorageAccountName: 'stq${resourceToken}'
  }
}

module qdrant 'modules/qdrant.bicep' = if (deployQdrant) {
  name: 'qdrant'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'ca-qdrant-${resourceToken}'
    image: qdrantImage
    environmentResourceId: containerApps.outputs.environmentResourceId
    environmentName: containerApps.outputs.environmentName
    storageName: containerApps.outputs.qdrantStorageName
    identityResourceId: identity.outputs.resourceId
    apiKeySecretUri: keyVault.outputs.qdrantApiKeySecretUri
  }
}

var qdrantEndpoint = deployQdrant ? qdrant!.outputs.url : qdrantUrl

// Every app setting shared by the function app and the jobs (names as in
// local.settings.sample.json and shared/config.py). Storage is identity-based: no
// AzureWebJobsStorage connection string, no account key.
var deploymentSettings = {
  APP_ENVIRONMENT: 'production'
  AzureWebJobsStorage__accountName: storage.outputs.name
  AzureWebJobsStorage__blobServiceUri: storage.outputs.blobEndpoint
  AzureWebJobsStorage__queueServiceUri: storage.outputs.queueEndpoint
  AzureWebJobsStorage__tableServiceUri: storage.outputs.tableEndpoint
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identity.outputs.clientId
  AZURE_CLIENT_ID: identity.outputs.clientId
  APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.outputs.clientId};Authorization=AAD'
  REDIS_HOST: redis.outputs.hostName
  REDIS_PORT: string(redis.outputs.port)
  REDIS_SSL: 'true'
  // A Redis Cluster client only where clients see the shards (OSSCluster); behind one endpoint
  // (EnterpriseCluster, NoCluster, Azure Cache for Redis) a plain client.
  REDIS_CLUSTER: redisKind == 'managed' && managedRedisClusteringPolicy == 'OSSCluster' ? 'true' : 'false'
  // An idempotency lease or result must be on the replica before the work runs or the answer
  // leaves (WAIT 1), so a failover cannot run a request twice; Basic caches have no replica.
  REDIS_WAIT_REPLICAS: redisKind == 'managed' || cacheRedisSku != 'Basic' ? '1' : '0'
  // Vectors and the knowledge graph: in the Flexible Server (pgvector, graph tables) unless a
  // Qdrant (qdrantUrl, deployQdrant) or a Neo4j (neo4jUri) is given. Durable and shared by the
  // function app's instances and the jobs either way; settings refuse anything else here.
  VECTOR_STORE: 'auto'
  GRAPH_STORE: 'auto'
  QDRANT_URL: qdrantEndpoint
  NEO4J_URI: neo4jUri
  NEO4J_USERNAME: neo4jUsername
  AUTH_JWT_ISSUER: authJwtIssuer
  AUTH_JWT_AUDIENCE: authJwtAudience
  AUTH_JWT_JWKS_URL: authJwtJwksUrl
  MEDIA_CONTAINER: blobContainers.MEDIA_CONTAINER
  JOB_RESULTS_CONTAINER: blobContainers.JOB_RESULTS_CONTAINER
  CLASSIFIER_CONTAINER: blobContainers.CLASSIFIER_CONTAINER
  ML_MODELS_CONTAINER: blobContainers.ML_MODELS_CONTAINER
  JOB_QUEUE_SPEECH: jobKinds.speech.queue
  JOB_QUEUE_EXTRACT: jobKinds.extract.queue
  JOB_QUEUE_TRANSCRIBE: jobKinds.transcribe.queue
  JOB_QUEUE_ML: jobKinds.ml.queue
  JOB_QUEUE_ANALYZE: jobKinds.analyze.queue
  JOB_MAX_EXECUTIONS_SPEECH: string(jobKinds.speech.maxExecutions)
  JOB_MAX_EXECUTIONS_EXTRACT: string(jobKinds.extract.maxExecutions)
  JOB_MAX_EXECUTIONS_TRANSCRIBE: string(jobKinds.transcribe.maxExecutions)
  JOB_MAX_EXECUTIONS_ML: string(jobKinds.ml.maxExecutions)
  JOB_MAX_EXECUTIONS_ANALYZE: string(jobKinds.analyze.maxExecutions)
  JOB_POLLING_INTERVAL_SECONDS: string(jobPollingIntervalSeconds)
}
var appSettings = union(tunables, deploymentSettings, appSettingsOverrides)

// Secret settings: name -> versionless Key Vault secret URI. The function app reads them as Key
// Vault references, the jobs as Container Apps Key Vault secrets. POSTGRES_DSN carries no
// credentials here: every store module logs in as its own role; only the migrate job gets the
// administrator's DSN (migrateSecretSettings).
var secretSettings = {
  REDIS_PASSWORD: redis.outputs.passwordSecretUri
  POSTGRES_DSN: postgres.outputs.appDsnSecretUri
  QDRANT_API_KEY: keyVault.outputs.qdrantApiKeySecretUri
  NEO4J_PASSWORD: keyVault.outputs.neo4jPasswordSecretUri
  AUTH_JWT_SECRET: keyVault.outputs.authJwtSecretSecretUri
  LLM_API_KEY: keyVault.outputs.llmApiKeySecretUri
  CORE_REMOTE_API_KEY: keyVault.outputs.coreRemoteApiKeySecretUri
  // Each store module connects as its own PostgreSQL role (POSTGRES_<SERVICE>_USERNAME in
  // app-settings.json); the secrets are written by modules/keyvault.bicep.
  POSTGRES_JOBS_PASSWORD: '${keyVault.outputs.uri}secrets/postgres-jobs-password'
  POSTGRES_WORKER_PASSWORD: '${keyVault.outputs.uri}secrets/postgres-worker-password'
  POSTGRES_MEDIA_PASSWORD: '${keyVault.outputs.uri}secrets/postgres-media-password'
  POSTGRES_VOICE_PASSWORD: '${keyVault.outputs.uri}secrets/postgres-voice-password'
  POSTGRES_CHAT_PASSWORD: '${keyVault.outputs.uri}secrets/postgres-chat-password'
  POSTGRES_ML_PASSWORD: '${keyVault.outputs.uri}secrets/postgres-ml-password'
  POSTGRES_AUTH_PASSWORD: '${keyVault.outputs.uri}secrets/postgres-auth-password'
  POSTGRES_HEALTH_PASSWORD: '${keyVault.outputs.uri}secrets/postgres-health-password'
  POSTGRES_VECTORS_PASSWORD: '${keyVault.outputs.uri}secrets/postgres-vectors-password'
  POSTGRES_GRAPH_PASSWORD: '${keyVault.outputs.uri}secrets/postgres-graph-password'
}

var migrateSecretSettings = union(secretSettings, {
  POSTGRES_DSN: postgres.outputs.dsnSecretUri
})

// Where the models are: in the function app's package (.models, what `make models` builds), in
// the jobs' image (/models, docker/jobs.Dockerfile).
// HTTP streams (the FastAPI extension, shared/http/web.py) need init indexing; the host's body
// limit must cover the 100 MiB media limit plus the multipart framing around it.
// Sync functions (and shared.http.executor) run on as many threads as the instance admits
// requests (functionHttpPerInstanceConcurrency): no admitted request waits for a thread.
var functionSettings = {
  MODELS_DIR: '.models'
  PYTHON_THREADPOOL_THREAD_COUNT: string(functionHttpPerInstanceConcurrency)
  PYTHON_ENABLE_INIT_INDEXING: '1'
  FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: string(httpRequestBodyLimitBytes)
  // The worker hands each invocation the host's trace context (host.json telemetryMode is
  // OpenTelemetry): the app's server span is the child of the host's (shared/telemetry/http.py).
  PYTHON_ENABLE_OPENTELEMETRY: 'true'
}
var jobSettings = {
  MODELS_DIR: '/models'
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'func-${resourceToken}'
    planName: 'plan-${resourceToken}'
    serviceName: 'api'
    identityResourceId: identity.outputs.resourceId
    storageAccountName: storage.outputs.name
    deploymentContainerName: deploymentContainerName
    appSettings: union(appSettings, functionSettings)
    secretSettings: secretSettings
    instanceMemoryMB: functionInstanceMemoryMB
    maximumInstanceCount: functionMaximumInstanceCount
    httpPerInstanceConcurrency: functionHttpPerInstanceConcurrency
    alwaysReadyHttpInstances: functionAlwaysReadyHttpInstances
  }
}

module jobs 'modules/job.bicep' = [
  for kind in containerAppJobKinds: {
    name: 'job-${kind.key}'
    scope: rg
    params: {
      location: location
      tags: tags
      name: take('job-${kind.key}-${resourceToken}', 32)
      kind: kind.key
      serviceName: 'jobs-${kind.key}'
      trigger: 'Event'
      queueName: kind.value.queue
      storageAccountName: storage.outputs.name
      maxExecutions: int(kind.value.maxExecutions)
      pollingIntervalSeconds: jobPollingIntervalSeconds
      replicaTimeoutSeconds: jobReplicaTimeoutSeconds
      replicaRetryLimit: jobReplicaRetryLimit
      useGpu: bool(kind.value.gpu)
      cpu: kind.value.?cpu ?? jobCpu
      memory: kind.value.?memory ?? jobMemory
      image: jobsImage
      environmentResourceId: containerApps.outputs.environmentResourceId
      identityResourceId: identity.outputs.resourceId
      registryServer: containerApps.outputs.registryLoginServer
      appSettings: union(appSettings, jobSettings)
      secretSettings: secretSettings
    }
  }
]

// Database migrations (python -m shared.stores.migrate), then the PostgreSQL service roles' log-in
// passwords from Key Vault (python -m shared.stores.postgres_roles), as a manual job; the azd
// postdeploy hook starts it after every deployment.
module migrateJob 'modules/job.bicep' = {
  name: 'job-migrate'
  scope: rg
  params: {
    location: location
    tags: tags
    name: 'job-migrate-${resourceToken}'
    kind: 'migrate'
    serviceName: 'migrate'
    trigger: 'Manual'
    command: [
      'sh'
      '-c'
      'python -m shared.stores.migrate && python -m shared.stores.postgres_roles'
    ]
    storageAccountName: storage.outputs.name
    replicaTimeoutSeconds: 600
    replicaRetryLimit: 1
    cpu: '0.5'
    memory: '1Gi'
    image: jobsImage
    environmentResourceId: containerApps.outputs.environmentResourceId
    identityResourceId: identity.outputs.resourceId
    registryServer: containerApps.outputs.registryLoginServer
    appSettings: union(appSettings, jobSettings)
    secretSettings: migrateSecretSettings
  }
}

// azd: written to .azure/<environment>/.env after provisioning.
@description('Region of the deployment.')
output AZURE_LOCATION string = location

@description('Tenant of the deployment.')
output AZURE_TENANT_ID string = tenant().tenantId

@description('Resource group of the deployment.')
output AZURE_RESOURCE_GROUP string = rg.name

@description('Registry azd pushes the jobs\' images to.')
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = containerApps.outputs.registryLoginServer

@description('Container Apps environment of the jobs.')
output AZURE_CONTAINER_APPS_ENVIRONMENT_ID string = containerApps.outputs.environmentResourceId

@description('Key Vault holding every secret (main.parameters.json reads generated passwords back from it).')
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name

@description('URI of the Key Vault.')
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.outputs.uri

@description('Name of the function app.')
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name

@description('Base URL of the API.')
output SERVICE_API_URI string = 'https://${functionApp.outputs.defaultHostname}/api'

@description('Manual job that applies the database migrations (started by the postdeploy hook).')
output AZURE_MIGRATE_JOB_NAME string = migrateJob.outputs.name

@description('Event-driven Container Apps jobs, one per job kind run as a job.')
output AZURE_JOB_NAMES array = [for (kind, i) in containerAppJobKinds: jobs[i].outputs.name]

// The app's settings, with the names of local.settings.sample.json / shared/config.py. Secrets
// are not outputs: they are in Key Vault (AZURE_KEY_VAULT_NAME).
@description('APP_ENVIRONMENT of the deployment.')
output APP_ENVIRONMENT string = appSettings.APP_ENVIRONMENT

@description('Storage account of the app (identity-based AzureWebJobsStorage).')
output AzureWebJobsStorage__accountName string = storage.outputs.name

@description('Blob endpoint of the app\'s storage.')
output AzureWebJobsStorage__blobServiceUri string = storage.outputs.blobEndpoint

@description('Queue endpoint of the app\'s storage.')
output AzureWebJobsStorage__queueServiceUri string = storage.outputs.queueEndpoint

@description('Client id of the app\'s managed identity.')
output AzureWebJobsStorage__clientId string = identity.outputs.clientId

@description('Redis host.')
output REDIS_HOST string = redis.outputs.hostName

@description('Redis TLS port.')
output REDIS_PORT string = string(redis.outputs.port)

@description('Redis uses TLS.')
output REDIS_SSL string = 'true'

@description('Qdrant URL (empty: in-memory mode).')
output QDRANT_URL string = qdrantEndpoint

@description('Neo4j Bolt URI.')
output NEO4J_URI string = neo4jUri

@description('Blob container of media files.')
output MEDIA_CONTAINER string = blobContainers.MEDIA_CONTAINER

@description('Blob container of job results.')
output JOB_RESULTS_CONTAINER string = blobContainers.JOB_RESULTS_CONTAINER

@description('Blob container of trained classifier heads.')
output CLASSIFIER_CONTAINER string = blobContainers.CLASSIFIER_CONTAINER

@description('Blob container of the ML model registry\'s artefacts.')
output ML_MODELS_CONTAINER string = blobContainers.ML_MODELS_CONTAINER

@description('Queue of the speech jobs.')
output JOB_QUEUE_SPEECH string = jobKinds.speech.queue

@description('Queue of the extract jobs.')
output JOB_QUEUE_EXTRACT string = jobKinds.extract.queue

@description('Queue of the ml (batch clustering, anomaly, feature importance) jobs.')
output JOB_QUEUE_ML string = jobKinds.ml.queue

@description('Queue of the analyze (AI-core batches over CORE_SYNC_MAX_ITEMS items) jobs.')
output JOB_QUEUE_ANALYZE string = jobKinds.analyze.queue
