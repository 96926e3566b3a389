// Azure Database for PostgreSQL Flexible Server with the `vector` extension allow-listed (the
// migrations run CREATE EXTENSION vector), one database, TLS required. Two DSNs go to Key Vault:
// `postgres-dsn` with the administrator's credentials, for the migrate job only, and
// `postgres-app-dsn` with none, for the function app and the worker jobs: they log in as the
// service roles (POSTGRES_<SERVICE>_USERNAME/_PASSWORD), so the administrator's password never
// reaches a process that serves requests.

@description('Azure region of the server.')
param location string

@description('Tags applied to the server.')
param tags object

@description('Name of the server (globally unique).')
param name string

@description('Name of the app\'s database.')
param databaseName string = 'mlplatform'

@description('Administrator login.')
param administratorLogin string

@secure()
@description('Administrator password.')
param administratorPassword string

@description('PostgreSQL major version.')
@allowed([
  '16'
  '17'
])
param version string = '16'

@description('Compute SKU, e.g. Standard_B1ms.')
param skuName string = 'Standard_B1ms'

@description('Compute tier matching skuName.')
@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
param tier string = 'Burstable'

@description('Storage in GB.')
param storageSizeGB int = 32

@description('Allow connections from Azure services (firewall rule 0.0.0.0).')
param allowAzureServices bool = true

@description('Name of the Key Vault that receives the DSN.')
param keyVaultName string

module server 'br/public:avm/res/db-for-postgre-sql/flexible-server:0.15.2' = {
  name: 'postgres-server'
  params: {
    name: name
    location: location
    tags: tags
    skuName: skuName
    tier: tier
    version: version
    storageSizeGB: storageSizeGB
    availabilityZone: -1
    highAvailability: 'Disabled'
    administratorLogin: administratorLogin
    administratorLoginPassword: administratorPassword
    authConfig: {
      activeDirectoryAuth: 'Disabled'
      passwordAuth: 'Enabled'
    }
    publicNetworkAccess: 'Enabled'
    databases: [
      {
        name: databaseName
        charset: 'UTF8'
        collation: 'en_US.utf8'
      }
    ]
    firewallRules: allowAzureServices
      ? [
          {
            name: 'AllowAllAzureServicesAndResourcesWithinAzureIps'
            startIpAddress: '0.0.0.0'
            endIpAddress: '0.0.0.0'
          }
        ]
      : []
  }
}

resource existingServer 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' existing = {
  name: name
}

// The extension must be allow-listed before CREATE EXTENSION vector can run.
resource allowVector 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2024-08-01' = {
  parent: existingServer
  name: 'azure.extensions'
  properties: {
    value: 'VECTOR'
    source: 'user-override'
  }
  dependsOn: [
    server
  ]
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource dsnSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'postgres-dsn'
  properties: {
    value: 'postgresql://${administratorLogin}:${uriComponent(administratorPassword)}@${existingServer.properties.fullyQualifiedDomainName}:5432/${databaseName}?sslmode=require'
  }
  dependsOn: [
    server
    allowVector
  ]
}

resource appDsnSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'postgres-app-dsn'
  properties: {
    value: 'postgresql://${existingServer.properties.fullyQualifiedDomainName}:5432/${databaseName}?sslmode=require'
  }
  dependsOn: [
    server
  ]
}

@description('Fully qualified domain name of the server.')
output fqdn string = existingServer.properties.fullyQualifiedDomainName

@description('Versionless URI of the Key Vault secret holding the administrator\'s DSN (POSTGRES_DSN of the migrate job).')
output dsnSecretUri string = 'https://${keyVaultName}${environment().suffixes.keyvaultDns}/secrets/${dsnSecret.name}'

@description('Versionless URI of the Key Vault secret holding the DSN without credentials (POSTGRES_DSN of the function app and the worker jobs).')
output appDsnSecretUri string = 'https://${keyVaultName}${environment().suffixes.keyvaultDns}/secrets/${appDsnSecret.name}'
