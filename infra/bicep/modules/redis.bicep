// Redis with TLS: Azure Managed Redis (Microsoft.Cache/redisEnterprise, port 10000) or Azure
// Cache for Redis (Microsoft.Cache/redis, port 6380). The app authenticates with the access key,
// which this module writes to Key Vault as `redis-password` (REDIS_PASSWORD).

@description('Azure region of the cache.')
param location string

@description('Tags applied to the cache.')
param tags object

@description('Name of the cache (globally unique).')
param name string

@description('managed: Azure Managed Redis; cache: Azure Cache for Redis.')
@allowed([
  'managed'
  'cache'
])
param kind string = 'managed'

@description('SKU of Azure Managed Redis, e.g. Balanced_B0.')
param managedSku string = 'Balanced_B0'

@description('Clustering policy of Azure Managed Redis: OSSCluster (clients reach the shards directly), EnterpriseCluster (one proxied endpoint) or NoCluster (one shard).')
@allowed([
  'OSSCluster'
  'EnterpriseCluster'
  'NoCluster'
])
param managedClusteringPolicy string = 'OSSCluster'

@description('SKU of Azure Cache for Redis.')
@allowed([
  'Basic'
  'Standard'
  'Premium'
])
param cacheSku string = 'Basic'

@description('Capacity of Azure Cache for Redis (0-6 for Basic and Standard, 1-5 for Premium).')
@minValue(0)
@maxValue(6)
param cacheCapacity int = 0

@description('Name of the Key Vault that receives the access key.')
param keyVaultName string

module managedRedis 'br/public:avm/res/cache/redis-enterprise:0.5.1' = if (kind == 'managed') {
  name: 'managed-redis'
  params: {
    name: name
    location: location
    tags: tags
    skuName: managedSku
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
    database: {
      name: 'default'
      port: 10000
      clientProtocol: 'Encrypted'
      clusteringPolicy: managedClusteringPolicy
      // Idempotency records and job slots must never be evicted silently.
      evictionPolicy: 'NoEviction'
      accessKeysAuthentication: 'Enabled'
    }
  }
}

module cacheRedis 'br/public:avm/res/cache/redis:0.9.0' = if (kind == 'cache') {
  name: 'cache-redis'
  params: {
    name: name
    location: location
    tags: tags
    skuName: cacheSku
    capacity: cacheCapacity
    enableNonSslPort: false
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
  }
}

resource managedDatabase 'Microsoft.Cache/redisEnterprise/databases@2025-04-01' existing = if (kind == 'managed') {
  name: '${name}/default'
}

resource cache 'Microsoft.Cache/redis@2024-11-01' existing = if (kind == 'cache') {
  name: name
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource passwordSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'redis-password'
  properties: {
    value: kind == 'managed' ? managedDatabase.listKeys().primaryKey : cache.listKeys().primaryKey
  }
  dependsOn: [
    managedRedis
    cacheRedis
  ]
}

@description('Host name of the Redis endpoint (REDIS_HOST).')
output hostName string = kind == 'managed'
  ? '${name}.${location}.redis.azure.net'
  : '${name}.redis.cache.windows.net'

@description('TLS port of the Redis endpoint (REDIS_PORT).')
output port int = kind == 'managed' ? 10000 : 6380

@description('Versionless URI of the Key Vault secret holding the access key (REDIS_PASSWORD).')
output passwordSecretUri string = 'https://${keyVaultName}${environment().suffixes.keyvaultDns}/secrets/${passwordSecret.name}'
