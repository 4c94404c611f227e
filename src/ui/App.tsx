export function App() {
  return <main><h1>Fwd2Bot photo memory</h1></main>;
}
